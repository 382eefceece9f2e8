#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Run a netlock Python test: PYTHON SCRIPT.  Gated on the kernel's nftables
# over netlink and CAP_NET_ADMIN, and on the tools the test drives.
. "$(dirname "$0")/../lib/require.sh"
require_feature nftables cap-net-admin cap-sys-admin   # namespaces: ip netns add
for tool in ip nft ping; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: '$tool' missing (install contrib/deps/test.txt: iproute2, nftables, iputils-ping)"
		exit 77
	fi
done
if [ -z "${CRYO_NETLOCK:-}" ] || [ ! -x "$CRYO_NETLOCK" ]; then
	echo "CRYO_NETLOCK must name the cryo-netlock binary (is '${CRYO_NETLOCK:-}')" >&2
	exit 1
fi
exec "$@"
