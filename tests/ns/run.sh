#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh FEATURE[,FEATURE...] PROGRAM: gate PROGRAM on kernel features, then run it.
. "$(dirname "$0")/../lib/require.sh"
features=$1
shift
old_ifs=$IFS
IFS=,
# shellcheck disable=SC2086
require_feature $features
IFS=$old_ifs
exec "$@"
