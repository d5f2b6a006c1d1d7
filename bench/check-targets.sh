#!/bin/bash
# Compare a report's rows (section|metric|linux|bypass) with the targets
# file (section|metric|test|limit, see bench/targets) and print one
# Markdown table line per target whose rows are present: the figure the
# test looks at, the test, the limit, and yes/no.
#
#   bench/check-targets.sh ROWS TARGETS
set -euo pipefail
awk -F'|' '
	NR == FNR { l[$1 "|" $2] = $3; b[$1 "|" $2] = $4; next }
	/^#/ || NF < 4 { next }
	{
		k = $1 "|" $2
		if (!(k in b) || b[k] == "" || b[k] == "-")
			next
		test = $3; lim = $4 + 0; v = b[k] + 0
		if (test == "ratio-max" || test == "ratio-min") {
			if (l[k] + 0 <= 0)
				next
			v = b[k] / l[k]
			shown = sprintf("%.2fx Linux", v)
			ok = test == "ratio-max" ? v <= lim : v >= lim
		} else if (test ~ /^rel-max:/) {
			o = $1 "|" substr(test, 9)
			if (!(o in b) || b[o] + 0 <= 0)
				next
			v = b[k] / b[o]
			shown = sprintf("%.2fx (%s)", v, substr(test, 9))
			test = "rel-max"
			ok = v <= lim
		} else {
			shown = b[k]
			ok = v <= lim
		}
		printf "| %s: %s | %s | %s | %s | %s |\n", $1, $2, shown, test, $4,
			ok ? "yes" : "**no**"
	}' "$1" "$2"
