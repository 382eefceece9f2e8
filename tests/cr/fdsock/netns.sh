#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a command in a private network namespace with loopback up (the host's
# network is never touched: nftables rules made there go with it).
set -u
if [ "${FDSOCK_IN_NETNS:-0}" != 1 ]; then
	command -v unshare >/dev/null || { echo "SKIP: no unshare"; exit 77; }
	FDSOCK_IN_NETNS=1 exec unshare --net "$0" "$@"
fi
ip link set lo up || { echo "netns.sh: cannot bring lo up" >&2; exit 1; }
if [ "${FDSOCK_LOCK:-0}" != 0 ] && ! nft list tables >/dev/null 2>&1; then
	echo "SKIP: nft does not work here"; exit 77
fi
exec "$@"
