#!/bin/bash
# Instructions and system calls per 64-byte TCP request/response through
# the socket API (bypass_socket.h): two contexts over the in-memory pair,
# one connection, Nagle off, non-blocking sockets (bench/socket_echo.c).
# Three rows: without bypass_ctx_fd(), and with it (the context's fd kept
# true for an application that sleeps in its own epoll: armed only by a
# call that finds nothing to do, so not while the traffic flows); and the
# same round trip through the native calls (bypass_api.h, zero copy), the
# measure the socket API is held to.
# Instructions are those of rr_rounds() under callgrind, the emulated
# device's work (pair_kick, pair_service) left out; system calls are
# counted with strace -c -f as the difference between ROUNDS and 2*ROUNDS
# round trips, so the setup cancels out. The emulated device's own
# interrupt eventfd writes are counted too (a real device raises them in
# the kernel): each shows as one write and one read per interrupt.
#
#   bench/callgrind-socket-rr.sh [ROUNDS]
# A benchmark, not a test: it prints numbers and judges nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-5000}
out=build/bench
mkdir -p "$out"
make -s build/libbypass.a
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -Iuapi -Iuser/include \
	-isystem build/linux/include -o "$out/socket_echo" bench/socket_echo.c build/libbypass.a

# calls MODE ROUNDS: system calls of one run, by name ("name count" lines).
calls() {
	strace -f -c -o "$out/strace-socket.txt" "$out/socket_echo" "$2" $1 >/dev/null
	awk 'NR > 2 && $NF != "total" && $1 !~ /^-/ { print $NF, $4 }' \
		"$out/strace-socket.txt"
}

: >"$out/socket-rows"
printf '%-48s %10s %12s  %s\n' "64 B request/response" "instr/RT" "syscalls/RT" "by call"
for mode in nofd fd native; do
	valgrind --tool=callgrind --callgrind-out-file="$out/callgrind-socket-$mode.out" \
		--toggle-collect=rr_rounds --toggle-collect=pair_kick \
		--toggle-collect=pair_service "$out/socket_echo" "$n" $mode \
		2>"$out/valgrind-socket.log"
	total=$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' \
		"$out/callgrind-socket-$mode.out" | head -n 1)
	calls "$mode" "$n" >"$out/calls-1.txt"
	calls "$mode" $((2 * n)) >"$out/calls-2.txt"
	by=$(join <(sort "$out/calls-1.txt") <(sort "$out/calls-2.txt") |
		awk -v n="$n" '$3 != $2 { printf "%s %.2f  ", $1, ($3 - $2) / n }')
	sum=$(join <(sort "$out/calls-1.txt") <(sort "$out/calls-2.txt") |
		awk -v n="$n" '{ s += $3 - $2 } END { printf "%.2f", s / n }')
	label="socket API round trip, without bypass_ctx_fd()"
	[ "$mode" = fd ] && label="socket API round trip, with bypass_ctx_fd()"
	[ "$mode" = native ] && label="native API round trip (bypass_api.h)"
	printf '%-48s %10d %12s  %s\n' "$label" $((total / (n + 100))) "$sum" "$by"
	echo "ROW instructions (callgrind, host)|$label|-|$((total / (n + 100)))" >>"$out/socket-rows"
	echo "ROW system calls (strace, host)|$label|-|$sum" >>"$out/socket-rows"
done
cat "$out/socket-rows"
echo "profile: callgrind_annotate $out/callgrind-socket-fd.out"
