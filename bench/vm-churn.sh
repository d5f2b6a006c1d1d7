#!/bin/bash
# Connections per second under churn: the HTTP example server
# (user/examples/http_server.c) on the Linux stack and on bypass, in one
# VM run, against the same unmodified client on the peer NIC (netns
# "peer"): ab (apache2-utils) without keep-alive, REQUESTS requests with
# CONCURRENCY in flight, so every request opens a connection, which the
# server closes (and holds in TIME_WAIT). For reference, wrk then runs
# CONCURRENCY keep-alive connections for 10 s against the same server.
# Prints both stacks' rates, ab's complete and failed counts, and the
# ratios bypass/linux. A benchmark, not a test: it judges nothing (a
# stack whose ab run gave up shows how many requests it completed, and
# no ratio). TCG absolute numbers mean little; compare the two rows.
#
# Server on vCPU 0, clients on vCPU 1. The VM boots with iommu.strict=0,
# Linux's default lazy IOTLB flushing, as the other VM benchmarks do.
#
#   bench/vm-churn.sh [REQUESTS] [CONCURRENCY]      (defaults 20000 64)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
c=${2:-64}

if [ "${BYPASS_VM:-}" != 1 ]; then
	make -s all >/dev/null
	exec selftests/vm/run --quiet --timeout 3600 --append iommu.strict=0 -- "$0" "$n" "$c"
fi

# ---- inside the VM ----
ex=build/examples
. selftests/vm/guest-net.sh
peer_netns_up

www=/tmp/www-churn
mkdir -p "$www"
printf '<h1>bypass</h1>%0500d\n' 0 >"$www/page.html"
url=http://192.0.2.1:80/page.html  # wrk: no /etc/services needed

# phase NAME SERVER-ARGS...: ab, then wrk, against one server run.
phase() {
	local name=$1 log=/tmp/churn-srv-$1.log
	shift
	taskset -c 0 "$ex/http_server" --port 80 --root "$www" "$@" >"$log" 2>&1 &
	local pid=$!
	wait_ready "$log" 300
	# -s 10: ten seconds without progress end the run; timeout bounds it all.
	ip netns exec peer taskset -c 1 timeout 1200 ab -r -s 10 -n "$n" -c "$c" "$url" \
		>"/tmp/churn-ab-$name" 2>&1 || true
	ip netns exec peer taskset -c 1 timeout 60 wrk -t 1 -c "$c" -d 10s --timeout 5s "$url" \
		>"/tmp/churn-wrk-$name" 2>&1 || true
	kill -TERM "$pid"
	wait "$pid" || true
	echo "$name: ab $(grep -E '^(Complete|Failed) requests|^Requests per second|^Total of' \
		"/tmp/churn-ab-$name" | tr -s ' ' | paste -sd ';')"
	echo "$name: wrk $(grep -E 'requests in|Socket errors|Non-2xx' "/tmp/churn-wrk-$name" |
		tr -s ' ' | paste -sd ';')"
	grep served "$log"
}

# Linux: the NIC owned by virtio_net, the address on the interface.
linux_nic_up
phase linux --linux --addr 192.0.2.1

# bypass: bypassctl claims the NIC (recording its address), the server
# opens it through /dev/bypass and finds the address there.
build/bin/bypassctl claim "$lif" >/dev/null
ip -n peer neigh flush all
phase bypass --bypass

num() {	# FILE KEY: the number after KEY ("" if absent)
	sed -n "s/^$2 *\([0-9.]*\).*/\1/p" "$1" | head -n 1
}
wrk_rps() { num "/tmp/churn-wrk-$1" 'Requests\/sec:'; }
echo
echo "HTTP connection churn, ab -n $n -c $c without keep-alive, same VM run:"
printf '  %-8s %10s %8s %16s %22s\n' stack complete failed "connections/s" \
	"keep-alive req/s (wrk)"
for s in linux bypass; do
	done_n=$(num "/tmp/churn-ab-$s" 'Complete requests:')
	[ -n "$done_n" ] || done_n="gave up after $(sed -n 's/^Total of \([0-9]*\).*/\1/p' \
		"/tmp/churn-ab-$s")"
	printf '  %-8s %10s %8s %16s %22s\n' "$s" "$done_n" \
		"$(num "/tmp/churn-ab-$s" 'Failed requests:')" \
		"$(num "/tmp/churn-ab-$s" 'Requests per second:')" "$(wrk_rps "$s")"
done
awk -v b="$(num /tmp/churn-ab-bypass 'Requests per second:')" \
	-v l="$(num /tmp/churn-ab-linux 'Requests per second:')" \
	-v wb="$(wrk_rps bypass)" -v wl="$(wrk_rps linux)" 'BEGIN {
	if (b > 0 && l > 0)
		printf "  bypass/linux: %.2fx connections/s", b / l
	else
		printf "  bypass/linux: no ratio (an ab run did not finish)"
	if (wb > 0 && wl > 0)
		printf ", %.2fx keep-alive requests/s", wb / wl
	printf "\n" }'
# Rows for bench/report.sh: section|metric|linux|bypass
echo "ROW HTTP churn|connections/s (ab, no keep-alive)|$(num /tmp/churn-ab-linux 'Requests per second:')|$(num /tmp/churn-ab-bypass 'Requests per second:')"
echo "ROW HTTP churn|keep-alive requests/s (wrk)|$(wrk_rps linux)|$(wrk_rps bypass)"
grep -q 'iommu.strict=0' /proc/cmdline && echo "  (IOMMU in lazy mode, as Linux defaults)"
