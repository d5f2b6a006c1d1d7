#!/bin/bash
# Extract the few third-party files bypass uses at build time from Debian's
# linux-source tarball into build/linux/: the kselftest harness headers,
# checkpatch.pl with its data files, and kselftest's build and run files
# (lib.mk, the runner, kselftest_install.sh, run_kselftest.sh) laid out as
# in the kernel tree under build/linux/ksft/, where tools/testing/selftests/
# bypass/ links to selftests/bypass/'s Makefile, config and settings so that
# kselftest's own scripts see bypass as one of their collections. Nothing
# extracted is ever committed.
set -euo pipefail
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [ -z "$tarball" ]; then
	echo "linux-src: /usr/src/linux-source-6.1.tar.xz missing (run 'make deps')" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
p=linux-source-6.1
st=tools/testing/selftests
ksft_files=(
	$st/Makefile $st/lib.mk $st/kselftest_install.sh $st/run_kselftest.sh
	$st/kselftest/runner.sh $st/kselftest/prefix.pl $st/kselftest/module.sh
	$st/kselftest_harness.h $st/kselftest.h scripts/subarch.include
)
tar -xJf "$tarball" -C "$tmp" \
	"${ksft_files[@]/#/$p/}" \
	$p/scripts/checkpatch.pl $p/scripts/spelling.txt \
	$p/scripts/const_structs.checkpatch
mkdir -p "$out/include" "$out/scripts"
cp "$tmp/$p/$st/kselftest_harness.h" "$tmp/$p/$st/kselftest.h" "$out/include/"
cp "$tmp/$p/scripts/checkpatch.pl" "$tmp/$p/scripts/spelling.txt" \
	"$tmp/$p/scripts/const_structs.checkpatch" "$out/scripts/"

rm -rf "$out/ksft"
for f in "${ksft_files[@]}"; do
	mkdir -p "$out/ksft/$(dirname "$f")"
	cp -p "$tmp/$p/$f" "$out/ksft/$f"
done
mkdir -p "$out/ksft/$st/bypass"
for f in Makefile config settings; do
	ln -s "$top/selftests/bypass/$f" "$out/ksft/$st/bypass/$f"
done
touch "$out/.stamp"
