#!/bin/bash
# make bench: run every benchmark once, one after the other, and write one
# report, build/bench/report/report.md, with the machine it ran on, a table
# of every figure on Linux and on bypass with the ratio, and PNG plots made
# with gnuplot (round-trip distributions of both stacks; work done per
# second of server CPU). Each benchmark's own output is kept beside it.
#
# The benchmarks print their figures as lines the report collects:
#   ROW SECTION|METRIC|LINUX|BYPASS     a table row ("-": no Linux figure)
#   CDF NAME-STACK P:US P:US ...        a round-trip distribution
#   PERCPU WHAT|LINUX|BYPASS            work per server CPU second
# A benchmark, not a test: a benchmark that fails leaves its rows out and
# is named in the report; the script exits 1 if any failed.
#
#   bench/report.sh [NAME...]     (default: all; e.g. callgrind-tcp-rr vm-tcp)
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/bench/report
all=(callgrind-tcp-rr callgrind-udp-echo callgrind-socket-rr vm-udp-rr vm-tcp vm-churn vm-apps)
[ $# -gt 0 ] && all=("$@")
rm -rf "$out"
mkdir -p "$out"

failed=()
for b in "${all[@]}"; do
	[ -x "bench/$b.sh" ] || { echo "bench: no bench/$b.sh" >&2; exit 2; }
	echo "bench: $b ..."
	t0=$(date +%s)
	# The VM's console may end lines with CR.
	"bench/$b.sh" 2>&1 | tr -d '\r' >"$out/$b.txt"
	rc=${PIPESTATUS[0]}
	echo "$b $rc $(($(date +%s) - t0))" >>"$out/runs"
	if [ "$rc" != 0 ]; then
		failed+=("$b")
		echo "bench: $b failed (exit $rc), see $out/$b.txt" >&2
	fi
done

# In the order the benchmarks ran.
outputs=()
for b in "${all[@]}"; do outputs+=("$out/$b.txt"); done
grep -h '^ROW ' "${outputs[@]}" | sed 's/^ROW //' >"$out/rows"
grep -h '^PERCPU ' "${outputs[@]}" | sed 's/^PERCPU //' >"$out/percpu"
# One data file per distribution: "percentile microseconds" lines.
grep -h '^CDF ' "${outputs[@]}" | while read -r _ name points; do
	tr ' ' '\n' <<<"$points" | tr ':' ' ' >"$out/cdf-$name.dat"
done

plots=()
# Latency: one plot per benchmark that has both stacks' distributions.
for f in "$out"/cdf-*-linux.dat; do
	[ -e "$f" ] || continue
	name=$(basename "$f" -linux.dat)
	name=${name#cdf-}
	[ -e "$out/cdf-$name-bypass.dat" ] || continue
	# Busy polling's distribution too, when the benchmark has one.
	busy=
	[ -e "$out/cdf-$name-busy.dat" ] &&
		busy=", \"$out/cdf-$name-busy.dat\" using 2:1 with linespoints pt 7 ps 0.4 title \"bypass, busy polling\""
	gnuplot <<EOT
set terminal pngcairo size 800,500
set output "$out/latency-$name.png"
set title "$name: round-trip time distribution (64-byte requests)"
set xlabel "round trip (us, log scale)"
set ylabel "percentile"
set logscale x
set key bottom right
set grid
plot "$out/cdf-$name-linux.dat" using 2:1 with linespoints pt 7 ps 0.4 title "Linux", \
     "$out/cdf-$name-bypass.dat" using 2:1 with linespoints pt 7 ps 0.4 title "bypass"$busy
EOT
	plots+=("latency-$name.png")
done
# Work per server CPU second, both stacks side by side.
if [ -s "$out/percpu" ]; then
	tr '|' '\t' <"$out/percpu" >"$out/percpu.dat"
	gnuplot <<EOT
set terminal pngcairo size 800,500
set output "$out/per-cpu-second.png"
set title "work per second of server CPU (higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "per CPU second (log scale)"
set xtics rotate by -20
set datafile separator "\t"
set key top right
set grid ytics
plot "$out/percpu.dat" using 2:xtic(1) title "Linux", "" using 3 title "bypass"
EOT
	plots+=("per-cpu-second.png")
fi

host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
guest_kernel=$(mk/kver.sh 6.1 2>/dev/null)
{
	echo "# bypass benchmark report"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- commit: $(git describe --always --dirty 2>/dev/null || echo unknown)"
	echo "- host: $host_cpu, $(nproc) CPUs, $(free -g | awk '/^Mem:/ { print $2 }') GiB," \
		"Linux $(uname -r), $(qemu-system-x86_64 --version | head -n 1)"
	echo "- VM benchmarks: QEMU TCG, 2 vCPUs, Debian kernel ${guest_kernel:-unknown}," \
		"iommu.strict=0; server on vCPU 0, Linux clients on vCPU 1"
	echo "- callgrind and strace figures: on the host, two stacks over the in-memory device"
	echo
	echo "Absolute numbers under TCG mean little: compare the two stacks of one run."
	echo
	if [ "${#failed[@]}" -gt 0 ]; then
		echo "**Failed (no figures):** ${failed[*]}"
		echo
	fi
	echo "| section | metric | Linux | bypass | bypass/Linux |"
	echo "|---|---|---:|---:|---:|"
	awk -F'|' '{
		r = ($3 + 0 > 0 && $4 + 0 > 0) ? sprintf("%.2fx", $4 / $3) : "-"
		printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3 == "" ? "-" : $3,
			$4 == "" ? "-" : $4, r }' "$out/rows"
	echo
	echo "Targets (bench/targets; a target whose rows did not run is not listed):"
	echo
	echo "| metric | bypass | test | limit | met |"
	echo "|---|---:|---|---:|---|"
	bench/check-targets.sh "$out/rows" bench/targets
	echo
	for p in "${plots[@]}"; do
		echo "![${p%.png}]($p)"
		echo
	done
	echo "Benchmarks run (name, exit status, seconds); each one's output is NAME.txt here:"
	echo
	awk '{ printf "- %s: exit %s, %s s\n", $1, $2, $3 }' "$out/runs"
} >"$out/report.md"

echo "bench: report in $out/report.md"
column -t -s'|' "$out/rows" | sed 's/^/  /'
[ "${#failed[@]}" = 0 ]
