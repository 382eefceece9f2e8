// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test driver for cr/cgroup*: dump the cgroups of a task, or restore them per
 * --manage-cgroups mode, join them as the dumped task and exec a command.
 *
 *   mntnet-cg dump DIR PID                    (prints "frozen=0|1")
 *   mntnet-cg restore DIR MODE OLDPID [CTL:FROM:TO]... -- CMD [ARGS...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"
#include "image.h"
#include "log.h"
#include "proto/inventory.pb-c.h"

static int do_dump(const char *dir, pid_t pid)
{
	struct img_dir *d = NULL;
	struct img *img = NULL;
	struct cg_state *s = NULL;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	int r = cg_collect(&pid, 1, &s);

	if (r >= 0)
		r = img_dir_open_write(dir, &d);
	if (r >= 0)
		r = cg_write(s, d);
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
	if (r >= 0)
		printf("frozen=%d\n", s->frozen);
	img_dir_close(d);
	cg_state_free(s);
	return r;
}

static int do_restore(int argc, char **argv)
{
	struct cg_remap remap[8];
	struct cg_restore_opts o = { .remap = remap };
	struct img_dir *d = NULL;
	struct cg_state *s = NULL;
	pid_t old = (pid_t)atoi(argv[2]);
	int i, r;

	if (cg_mode_from_name(argv[1], &o.mode) < 0) {
		fprintf(stderr, "unknown --manage-cgroups mode '%s'\n", argv[1]);
		return -EINVAL;
	}
	for (i = 3; i < argc && strcmp(argv[i], "--") && o.n_remap < 8; i++) {
		char *c1 = strchr(argv[i], ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			return -EINVAL;
		*c1 = *c2 = 0;
		remap[o.n_remap].controllers = *argv[i] ? argv[i] : NULL;
		remap[o.n_remap].from = c1 + 1;
		remap[o.n_remap].to = c2 + 1;
		o.n_remap++;
	}
	if (i >= argc - 1)
		return -EINVAL;
	r = img_dir_open_read(argv[0], &d);
	if (r >= 0)
		r = cg_load(d, &s);
	img_dir_close(d);
	if (r >= 0)
		r = cg_restore_dirs(s, &o);
	if (r >= 0)
		r = cg_attach(s, &o, old, getpid());
	cg_state_free(s);
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
		r = do_dump(argv[2], (pid_t)atoi(argv[3]));
	else if (argc >= 7 && !strcmp(argv[1], "restore"))
		r = do_restore(argc - 2, argv + 2);
	else
		fprintf(stderr, "usage: mntnet-cg dump DIR PID | restore DIR MODE OLDPID [CTL:FROM:TO]... -- CMD...\n");
	if (r < 0)
		fprintf(stderr, "mntnet-cg %s: %s\n", argc > 1 ? argv[1] : "", strerror(-r));
	return r < 0 ? 1 : 0;
}
