// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line forms of the mount and veth externals:
 *   --external mnt[KEY]:PATH        (dump: PATH is the mountpoint inside;
 *                                    restore: the path on this host)
 *   --external veth[KEY]:PEER[@NETNS] (restore: the new outside end)
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "mnt.h"
#include "net.h"

/* "KIND[KEY]:REST" split in place: 1 with *key and *rest set, 0 when arg is
 * not of this kind, -EINVAL when it is but malformed. */
static int split_external(char *arg, const char *kind, char **key, char **rest)
{
	size_t kl = strlen(kind);
	char *close;

	if (strncmp(arg, kind, kl) || arg[kl] != '[')
		return 0;
	close = strstr(arg + kl + 1, "]:");
	if (!close || close == arg + kl + 1 || !close[2])
		return log_error_errno(-EINVAL, "--external %s: expected %s[KEY]:VALUE", arg, kind);
	*close = 0;
	*key = arg + kl + 1;
	*rest = close + 2;
	return 1;
}

int mnt_parse_external(char *arg, struct mnt_external *ret)
{
	char *key, *path;
	int r = split_external(arg, "mnt", &key, &path);

	if (r <= 0)
		return r;
	if (path[0] != '/')
		return log_error_errno(-EINVAL, "--external mnt[%s]:%s: the path must be absolute", key, path);
	ret->key = key;
	ret->path = path;
	return 1;
}

int mnt_parse_external_dump(char *arg, struct mnt_external *ret)
{
	char *inside, *outside;
	int r;

	if (strncmp(arg, "mnt[/", 5))
		return mnt_parse_external(arg, ret);
	/* CRIU's form: mnt[MOUNTPOINT]:KEY */
	r = split_external(arg, "mnt", &inside, &outside);
	if (r <= 0)
		return r;
	if (strchr(outside, '/'))
		return log_error_errno(-EINVAL, "--external mnt[%s]:%s: the key must not contain '/'", inside, outside);
	ret->key = outside;
	ret->path = inside;
	return 1;
}

int net_parse_external(char *arg, struct net_external *ret)
{
	char *key, *peer, *at, nspath[256];
	int r = split_external(arg, "veth", &key, &peer);

	if (r <= 0)
		return r;
	ret->key = key;
	ret->peer_name = peer;
	ret->netns_fd = -1;
	ret->bridge = NULL;
	at = strchr(peer, '@');
	if (!at)
		return 1;
	*at = 0;
	if (!*peer || !at[1])
		return log_error_errno(-EINVAL, "--external veth[%s]: expected PEER@BRIDGE or PEER@NETNS", key);
	/* CRIU's @BRIDGE: a device of that name in our namespace; a path or an
	 * 'ip netns' name is the namespace the peer goes to. */
	if (!strchr(at + 1, '/') && if_nametoindex(at + 1)) {
		ret->bridge = at + 1;
		return 1;
	}
	snprintf(nspath, sizeof(nspath), strchr(at + 1, '/') ? "%s" : "/run/netns/%s", at + 1);
	ret->netns_fd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (ret->netns_fd < 0)
		return log_error_errno(-errno, "--external veth[%s]: %s is neither a bridge here nor a network namespace (%s)",
				       key, at + 1, nspath);
	return 1;
}
