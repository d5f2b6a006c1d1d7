#!/bin/bash
# Print the newest installed Debian kernel version of a series (default 6.1)
# that has both an image and headers, e.g. "6.1.0-56-amd64".
series=${1:-6.1}
for v in $(ls /boot/vmlinuz-"$series".*-amd64 /boot/vmlinuz-"$series"-*-amd64 \
	2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -rV); do
	if [ -d "/lib/modules/$v/build" ]; then
		echo "$v"
		exit 0
	fi
done
# No image installed (yet): fall back to whatever headers are there.
ls -d /lib/modules/"$series".*-amd64/build 2>/dev/null | sed 's|/lib/modules/||;s|/build||' |
	sort -rV | head -1
