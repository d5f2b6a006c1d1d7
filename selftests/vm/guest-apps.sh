# Sourced by scripts that run inside the test VM (bench/vm-apps.sh, the
# demo) after guest-net.sh: Debian's redis-server on 192.0.2.1, on the
# Linux stack or under bypass-run, measured with redis-benchmark from the
# peer netns; the server's CPU time read from /proc.

# cpu_ticks PID...: utime + stime of those processes, in clock ticks.
cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}

# wait_port PORT: until the peer connects to 192.0.2.1:PORT (at most 30 s).
wait_port() {
	for _ in $(seq 600); do
		ip netns exec peer timeout 1 bash -c "exec 3<>/dev/tcp/192.0.2.1/$1" \
			2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing listens on 192.0.2.1:$1"
	return 1
}

# redis_run DIR NAME REQUESTS CLIENTS [PREFIX...]: redis-server (on vCPU
# 0, run by PREFIX, e.g. bypass-run --) against redis-benchmark SET and
# GET (on vCPU 1); its CSV in DIR/rb-NAME, the server's CPU ticks over
# the benchmark in DIR/rcpu-NAME, vCPU 0's busy ticks in DIR/rbusy-NAME.
redis_run() {
	local dir=$1 name=$2 n=$3 c=$4 pid t0 t1 b0 b1
	shift 4
	mkdir -p "$dir/redis"
	taskset -c 0 "$@" redis-server --bind 192.0.2.1 --port 6379 --save '' \
		--appendonly no --protected-mode no --dir "$dir/redis" \
		>"$dir/redis-$name.log" 2>&1 &
	pid=$!
	wait_port 6379
	t0=$(cpu_ticks "$pid")
	b0=$(cpu_busy 0)
	ip netns exec peer taskset -c 1 timeout 600 redis-benchmark -h 192.0.2.1 \
		-c "$c" -n "$n" -t set,get --csv >"$dir/rb-$name" 2>&1 || true
	t1=$(cpu_ticks "$pid")
	b1=$(cpu_busy 0)
	kill -TERM "$pid"
	wait "$pid" || true
	echo $((t1 - t0)) >"$dir/rcpu-$name"
	echo $((b1 - b0)) >"$dir/rbusy-$name"
}

# rb_rps DIR NAME TEST: requests/s of one redis-benchmark test ("" if none).
rb_rps() { sed -n "s/^\"$3\",\"\([0-9.]*\)\".*/\1/p" "$1/rb-$2" | head -n 1; }

# us_per TICKS REQUESTS: CPU microseconds per request ("-" if none).
us_per() {
	awk -v t="$1" -v r="$2" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { if (r > 0) printf "%.1f", t * 1e6 / hz / r; else printf "-" }'
}
