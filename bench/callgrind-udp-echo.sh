#!/bin/bash
# Instructions per UDP echo through libbypass, measured with callgrind on the
# host: two stacks over the in-memory pair, 64-byte payloads, one echo =
# client send + server receive + server send + client receive (two frames
# each way through both stacks, ARP already resolved). The emulated
# device's own work (pair_kick, pair_service) is not counted.
#
#   bench/callgrind-udp-echo.sh [ECHOES] [csum-offload]
# A benchmark, not a test: it prints numbers and judges nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
mode=${2:-}
out=build/bench
mkdir -p "$out"
make -s build/libbypass.a
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -flto=auto -g -Iuapi -Iuser/include \
	-o "$out/udp_echo" bench/udp_echo.c build/libbypass.a

valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
	--toggle-collect=echo_rounds --toggle-collect=pair_kick \
	--toggle-collect=pair_service "$out/udp_echo" "$n" $mode 2>"$out/valgrind.log"

total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out/callgrind.out" | head -n 1)
echoes=$((n + 100))
echo "echoes measured:              $echoes"
echo "instructions (Ir) total:      $total"
echo "instructions per UDP echo:    $((total / echoes))"
echo "instructions per frame:       $((total / echoes / 2)) (each echo moves 2 frames)"
echo "ROW instructions (callgrind, host)|UDP 64-byte echo, two stacks${mode:+, $mode}|-|$((total / echoes))"
echo "profile: callgrind_annotate $out/callgrind.out"
