// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test driver for cr/net*: dump a task's network namespace into an image, or
 * restore one into a new network namespace and exec a command there.
 *
 *   mntnet-net dump PID DIR
 *   mntnet-net restore DIR [veth[KEY]:PEER[@NETNS]]... -- CMD [ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image.h"
#include "log.h"
#include "net.h"
#include "proto/inventory.pb-c.h"

static int do_dump(pid_t pid, const char *dir)
{
	struct img_dir *d = NULL;
	struct img *img = NULL;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int r = img_dir_open_write(dir, &d);

	if (r >= 0)
		r = net_dump(pid, d, 1);
	if (r >= 0)
		r = img_inventory_init(&inv);
	if (r >= 0 && (r = img_open(d, IMG_INVENTORY, true, &img)) >= 0) {
		r = img_write(img, &inv.base);
		int rc = img_close(img);
		r = r < 0 ? r : rc;
	}
	img_inventory_clear(&inv);
	if (r >= 0)
		r = img_dir_commit(d);
	img_dir_close(d);
	return r;
}

static int do_restore(const char *dir, int argc, char **argv)
{
	struct net_external ext[8];
	struct net_restore_opts o = { .ext = ext };
	struct img_dir *d = NULL;
	int i, r;

	for (i = 0; i < argc && strcmp(argv[i], "--") && o.n_ext < 8; i++) {
		if (net_parse_external(argv[i], &ext[o.n_ext]) != 1) {
			fprintf(stderr, "bad mapping '%s' (veth[KEY]:PEER[@NETNS])\n", argv[i]);
			return -EINVAL;
		}
		o.n_ext++;
	}
	if (i >= argc - 1) {
		fprintf(stderr, "restore: missing -- CMD\n");
		return -EINVAL;
	}
	o.outer_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	r = img_dir_open_read(dir, &d);
	if (r >= 0)
		r = net_restore(d, 1, &o);
	img_dir_close(d);
	if (r < 0)
		return r;
	execvp(argv[i + 1], argv + i + 1);
	return -errno;
}

int main(int argc, char **argv)
{
	int r = -EINVAL;

	log_init(NULL, LOG_FMT_TEXT, LOG_LVL_WARN);
	if (argc == 4 && !strcmp(argv[1], "dump"))
		r = do_dump((pid_t)atoi(argv[2]), argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "restore"))
		r = do_restore(argv[2], argc - 3, argv + 3);
	else
		fprintf(stderr, "usage: mntnet-net dump PID DIR | restore DIR [veth[KEY]:PEER[@NETNS]]... -- CMD...\n");
	if (r < 0)
		fprintf(stderr, "mntnet-net %s: %s\n", argc > 1 ? argv[1] : "", strerror(-r));
	return r < 0 ? 1 : 0;
}
