/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nftables rulesets as raw netlink messages (cr/net-nft.c). */
#ifndef CRYO_NET_NFT_H
#define CRYO_NET_NFT_H

#include <libmnl/libmnl.h>
#include <stddef.h>
#include <stdint.h>

struct net_nft_msg {
	uint32_t type;		/* NFT_MSG_NEW* */
	const uint8_t *data;	/* nfgenmsg + attributes */
	size_t len;
};

/* Dump the ruleset over fd (a NETLINK_NETFILTER socket opened in the
 * namespace; closed here), calling emit per message in creation order. */
int net_nft_dump(int fd, int (*emit)(void *ctx, uint32_t type, const void *payload, size_t len), void *ctx);
/* Replay messages into the caller's namespace in one batch. */
int net_nft_restore(const struct net_nft_msg *msgs, size_t n);

#endif
