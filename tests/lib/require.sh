# SPDX-License-Identifier: GPL-2.0-or-later
# Gate a shell test on kernel features, as probed by 'cryo-cr check'.
#
#     . "$(dirname "$0")/../lib/require.sh"
#     require_feature uffd-wp            # exits 77 (meson: SKIP) if missing
#     require_feature tcp-repair nftables
#
# CRYO_CR must name the cryo-cr binary (tests/*/meson.build sets it).
# A missing feature is a loud SKIP that says which one and why.  An unknown
# feature name or a broken cryo-cr is an error (exit 1), never a skip: a typo
# must not turn a test into one that silently never runs.

require_feature() {
	if [ -z "${CRYO_CR:-}" ] || [ ! -x "$CRYO_CR" ]; then
		echo "require_feature: CRYO_CR must point to the cryo-cr binary (is '${CRYO_CR:-}')" >&2
		exit 1
	fi
	for _rf_name in "$@"; do
		_rf_out=$("$CRYO_CR" check --feature "$_rf_name" 2>&1)
		case $? in
		0)
			;;
		1)
			echo "SKIP: kernel feature $_rf_name missing: ${_rf_out#*— }"
			exit 77
			;;
		*)
			echo "require_feature: cannot check '$_rf_name': $_rf_out" >&2
			exit 1
			;;
		esac
	done
}
