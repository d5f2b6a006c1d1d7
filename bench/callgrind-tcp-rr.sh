#!/bin/bash
# Instructions per 64-byte TCP request/response through libbypass, measured
# with callgrind on the host: two stacks over the in-memory pair, one
# connection (Nagle off), one round trip = client send + server receive +
# server send (the same buffer) + client receive: two segments, each
# carrying data and the ACK of the previous one, through both stacks.
# Only rr_rounds() is counted (callgrind toggles): the handshake, ARP and
# the rest of the setup are not, nor is the emulated device's own work
# (pair_kick, pair_service). The virtual clock stands still, so no timer
# fires in the measured region.
#
#   bench/callgrind-tcp-rr.sh [ROUNDS] [csum-offload]
# A benchmark, not a test: it prints numbers and judges nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
mode=${2:-}
out=build/bench
mkdir -p "$out"
make -s build/libbypass.a
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -flto=auto -g -Iuapi -Iuser/include \
	-o "$out/tcp_echo" bench/tcp_echo.c build/libbypass.a

valgrind --tool=callgrind --callgrind-out-file="$out/callgrind-tcp.out" \
	--toggle-collect=rr_rounds --toggle-collect=pair_kick \
	--toggle-collect=pair_service "$out/tcp_echo" "$n" $mode 2>"$out/valgrind-tcp.log"

total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$out/callgrind-tcp.out" | head -n 1)
rounds=$((n + 100))
echo "round trips measured:          $rounds"
echo "instructions (Ir) total:       $total"
echo "instructions per round trip:   $((total / rounds))"
echo "instructions per segment:      $((total / rounds / 2)) (each round trip moves 2 segments)"
echo "ROW instructions (callgrind, host)|TCP 64-byte round trip, two stacks${mode:+, $mode}|-|$((total / rounds))"
echo "profile: callgrind_annotate $out/callgrind-tcp.out"
