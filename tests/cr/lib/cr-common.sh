# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers shared by the C/R test runners (run-cr-test.sh, rst-run.sh).

# cr_dump_logs DIR LINES: the tail of every log and output a failed run left in DIR.
cr_dump_logs() {
	local f
	for f in "$1"/*.log "$1"/prog.out "$1"/prog.err "$1"/result; do
		[ -s "$f" ] || continue
		echo "----- $f" >&2
		tail -n "$2" "$f" >&2
	done
}
