#!/bin/bash
# Extract the few third-party files bypass uses at build time from Debian's
# linux-source tarball into build/linux/: the kselftest harness headers and
# checkpatch.pl with its data files. Nothing extracted is ever committed.
set -euo pipefail
out=$1
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$tarball" ]; then
	echo "linux-src: /usr/src/linux-source-6.1.tar.xz missing (run 'make deps')" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=linux-source-6.1
tar -xJf "$tarball" -C "$tmp" \
	$p/tools/testing/selftests/kselftest_harness.h \
	$p/tools/testing/selftests/kselftest.h \
	$p/scripts/checkpatch.pl $p/scripts/spelling.txt \
	$p/scripts/const_structs.checkpatch
mkdir -p "$out/include" "$out/scripts"
cp "$tmp/$p/tools/testing/selftests/kselftest_harness.h" \
	"$tmp/$p/tools/testing/selftests/kselftest.h" "$out/include/"
cp "$tmp/$p/scripts/checkpatch.pl" "$tmp/$p/scripts/spelling.txt" \
	"$tmp/$p/scripts/const_structs.checkpatch" "$out/scripts/"
touch "$out/.stamp"
