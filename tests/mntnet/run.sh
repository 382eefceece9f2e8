#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Gate a mntnet test program on the kernel features it needs, then run it.
. "$(dirname "$0")/../lib/require.sh"
features=$1
shift
# shellcheck disable=SC2086
require_feature $features
exec "$@"
