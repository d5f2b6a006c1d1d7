#!/bin/bash
# Unmodified Debian servers on the Linux stack and under bypass-run, in one
# VM run, against Debian's own benchmark clients on the peer NIC (netns
# "peer"): redis-server with redis-benchmark (SET and GET, CLIENTS
# connections, REQUESTS each), then nginx (nginx-light, master + one
# worker, sendfile on) with wrk (CLIENTS keep-alive connections, 10 s).
# Prints requests/s and the server's CPU time per request (utime + stime
# of its processes over the run) for both stacks, and the ratios
# bypass/linux. A benchmark, not a test: it judges nothing. TCG absolute
# numbers mean little; compare the rows.
#
# Server on vCPU 0, clients on vCPU 1. The VM boots with iommu.strict=0,
# Linux's default lazy IOTLB flushing, as the other VM benchmarks do.
#
#   bench/vm-apps.sh [REQUESTS] [CLIENTS]      (defaults 20000 50)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
c=${2:-50}

if [ "${BYPASS_VM:-}" != 1 ]; then
	make -s all >/dev/null
	exec selftests/vm/run --quiet --timeout 2400 --append iommu.strict=0 -- "$0" "$n" "$c"
fi

# ---- inside the VM ----
. selftests/vm/guest-net.sh
peer_netns_up
run=/tmp/bench-apps
mkdir -p "$run/www"
printf '<h1>bypass</h1>%0500d\n' 0 >"$run/www/page.html"
. selftests/vm/guest-apps.sh

# nginx_phase NAME [bypass-run...]: wrk against one nginx run.
nginx_phase() {
	local name=$1 pid t0 t1 conf=$run/nginx.conf
	shift
	cat >"$conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
# The worker opens /dev/bypass when it attaches (root only by default).
user root;
pid $run/nginx.pid;
error_log $run/nginx-error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $run/body;
	proxy_temp_path $run/proxy;
	fastcgi_temp_path $run/fastcgi;
	uwsgi_temp_path $run/uwsgi;
	scgi_temp_path $run/scgi;
	server { listen 192.0.2.1:80; root $run/www; }
}
EOF
	taskset -c 0 "$@" nginx -c "$conf" >"$run/nginx-$name.log" 2>&1 &
	pid=$!
	wait_port 80
	# The master and its worker.
	local pids="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	t0=$(cpu_ticks $pids)
	ip netns exec peer taskset -c 1 timeout 60 wrk -t 1 -c "$c" -d 10s --timeout 5s \
		http://192.0.2.1:80/page.html >"$run/wrk-$name" 2>&1 || true
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	kill -TERM "$pid"
	wait "$pid" || true
	echo $((t1 - t0)) >"$run/ncpu-$name"
}

# Linux: the NIC owned by virtio_net, the address on the interface.
linux_nic_up
redis_run "$run" linux "$n" "$c"
nginx_phase linux

# bypass: bypassctl claims the NIC (recording its address); bypass-run
# runs the same binaries with their sockets on it.
build/bin/bypassctl claim "$lif" >/dev/null
ip -n peer neigh flush all
redis_run "$run" bypass "$n" "$c" build/bin/bypass-run --
ip -n peer neigh flush all
nginx_phase bypass build/bin/bypass-run --

wrk_rps() { sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$run/wrk-$1"; }
wrk_reqs() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$run/wrk-$1"; }

# row SECTION METRIC LINUX BYPASS: one table line, and the same figures as a
# ROW line for bench/report.sh (collected after the table).
rows=
row() {
	printf '  %-34s %12s %12s %18s\n' "$1 $2" "${3:--}" "${4:--}" \
		"$(awk -v l="$3" -v b="$4" 'BEGIN { if (b > 0 && l > 0) printf "%.2fx", b / l; else printf "-" }')"
	rows+="ROW $1|$2|$3|$4"$'\n'
}

echo
echo "Unmodified Debian servers, same VM run (server vCPU 0, clients vCPU 1):"
printf '  %-34s %12s %12s %18s\n' "" linux bypass-run "bypass-run/linux"
for t in SET GET; do
	row redis "$t requests/s" "$(rb_rps "$run" linux $t)" "$(rb_rps "$run" bypass $t)"
done
rl=$(us_per "$(cat "$run/rcpu-linux")" $((2 * n)))
rb=$(us_per "$(cat "$run/rcpu-bypass")" $((2 * n)))
row redis "server CPU per request (us)" "$rl" "$rb"
row nginx "requests/s (wrk)" "$(wrk_rps linux)" "$(wrk_rps bypass)"
nl=$(us_per "$(cat "$run/ncpu-linux")" "$(wrk_reqs linux)")
nb=$(us_per "$(cat "$run/ncpu-bypass")" "$(wrk_reqs bypass)")
row nginx "server CPU per request (us)" "$nl" "$nb"
printf '%s' "$rows"
awk -v a="$rl" -v b="$rb" -v c="$nl" -v d="$nb" 'BEGIN {
	if (a > 0 && b > 0) printf "PERCPU redis requests|%.0f|%.0f\n", 1e6 / a, 1e6 / b
	if (c > 0 && d > 0) printf "PERCPU nginx requests|%.0f|%.0f\n", 1e6 / c, 1e6 / d }'
for f in wrk-linux wrk-bypass; do
	grep -E 'Socket errors|Non-2xx' "$run/$f" | sed "s/^/  $f: /" || true
done
grep -q 'iommu.strict=0' /proc/cmdline && echo "  (IOMMU in lazy mode, as Linux defaults)"
