/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A writer killed (SIGKILL) at arbitrary points of writing and committing an
 * image over an older one never leaves a mix: whenever inventory.img is there,
 * every file belongs to the image it names, and when it is not, the old image's
 * inventory is in ".old-*" (docs/images.md, "Writing: staging and commit").
 * Kill points are random; the invariant must hold at every one of them.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "sample.h"
#include "cr/log.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"

#define NEW_PID 2
#define ROUNDS 300

static char root[128], dir[256], ref[256];

/* The new image: a different process, so its files have other names. */
static int write_new_image(void)
{
	static uint8_t page[4096];
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	PstreeEntry p = PSTREE_ENTRY__INIT;
	struct img_dir *d;
	struct img *img;
	struct page_writer *w;

	if (img_dir_open_write(dir, &d) < 0)
		return -1;
	if (img_open(d, IMG_PSTREE, true, &img) < 0)
		return -1;
	p.pid = NEW_PID;
	if (img_write(img, &p.base) < 0 || img_close(img) < 0)
		return -1;
	if (page_writer_open(d, NEW_PID, &w) < 0)
		return -1;
	for (int i = 0; i < 64; i++)
		if (page_writer_add_data(w, 0x10000 + i * 8192, page, 1) < 0)
			return -1;
	if (page_writer_close(w) < 0)
		return -1;
	if (img_open(d, IMG_INVENTORY, true, &img) < 0)
		return -1;
	inv.format_version = IMG_FORMAT_VERSION;
	inv.has_root_pid = true;
	inv.root_pid = NEW_PID;
	if (img_write(img, &inv.base) < 0 || img_close(img) < 0)
		return -1;
	if (img_dir_commit(d) < 0)
		return -1;
	img_dir_close(d);
	return 0;
}

static bool exists_in(const char *d, const char *name)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", d, name);
	return access(p, F_OK) == 0;
}

static const char *const old_files[] = { "pstree.img", "core-4242.img", "core-4243.img", "mm-4242.img",
					 "pagemap-4242.img", "pages-4242.img" };
static const char *const new_files[] = { "pstree.img", "pagemap-2.img", "pages-2.img" };

static int root_pid_of(const char *d)
{
	struct img_dir *id;
	struct img *img;
	ProtobufCMessage *m;
	int pid = -1;

	if (img_dir_open_read(d, &id) < 0)
		return -1;
	if (img_open(id, IMG_INVENTORY, false, &img) == 0) {
		if (img_read_one(img, &m) == 0) {
			pid = ((InventoryEntry *)m)->root_pid;
			img_free_msg(m);
		}
		img_close(img);
	}
	img_dir_close(id);
	return pid;
}

/* The invariant; returns a description of the violation or NULL. */
static const char *check_state(void)
{
	static char why[300];

	if (!exists_in(dir, "inventory.img")) {
		/* Between "old inventory aside" and "new inventory in": the old one is kept. */
		DIR *dd = opendir(dir);
		struct dirent *de;
		bool kept = false;

		while (dd && (de = readdir(dd))) {
			if (!strncmp(de->d_name, ".old-", 5)) {
				char p[600];
				snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
				kept |= exists_in(p, "inventory.img");
			}
		}
		if (dd)
			closedir(dd);
		return kept ? NULL : "no inventory.img and no old inventory in .old-*";
	}
	int pid = root_pid_of(dir);
	if (pid == SAMPLE_PID) {
		for (size_t i = 0; i < sizeof(old_files) / sizeof(old_files[0]); i++)
			if (!exists_in(dir, old_files[i])) {
				snprintf(why, sizeof(why), "old image without %s", old_files[i]);
				return why;
			}
		if (exists_in(dir, "pagemap-2.img") || exists_in(dir, "pages-2.img"))
			return "old image mixed with files of the new one";
		return NULL;
	}
	if (pid == NEW_PID) {
		for (size_t i = 0; i < sizeof(new_files) / sizeof(new_files[0]); i++)
			if (!exists_in(dir, new_files[i])) {
				snprintf(why, sizeof(why), "new image without %s", new_files[i]);
				return why;
			}
		if (exists_in(dir, "core-4242.img") || exists_in(dir, "pages-4242.img"))
			return "new image mixed with files of the old one";
		return NULL;
	}
	return "inventory.img unreadable";
}

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd);
}

int main(void)
{
	char tmpl[] = "/tmp/cryo-commit-kill-XXXXXX";
	unsigned outcomes[3] = {};	/* old, new, between */
	int failures = 0;

	log_set_level(LOG_LVL_NONE);
	if (!mkdtemp(tmpl))
		return 1;
	snprintf(root, sizeof(root), "%s", tmpl);
	snprintf(dir, sizeof(dir), "%s/img", root);
	snprintf(ref, sizeof(ref), "%s/ref", root);
	if (sample_write_image(ref, 1) < 0) {
		fprintf(stderr, "cannot write the sample image\n");
		return 1;
	}
	srand(time(NULL));
	for (int round = 0; round < ROUNDS && !failures; round++) {
		if (sh("rm -rf '%s'%s", dir, "") != 0 || sh("cp -a '%s' '%s'", ref, dir) != 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0)
			_exit(write_new_image() < 0 ? 1 : 0);
		/* Kill somewhere in the writing or the commit (or after it). */
		struct timespec ts = { 0, (rand() % 3000) * 1000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			fprintf(stderr, "round %d: the writer failed on its own\n", round);
			failures++;
		}
		const char *bad = check_state();
		if (bad) {
			fprintf(stderr, "round %d: %s\n", round, bad);
			failures++;
		}
		int rp = root_pid_of(dir);
		outcomes[rp == SAMPLE_PID ? 0 : rp == NEW_PID ? 1 : 2]++;
	}
	sh("rm -rf '%s'%s", root, "");
	printf("%u rounds: old image %u, new image %u, between (old kept in .old-*) %u\n", ROUNDS,
	       outcomes[0], outcomes[1], outcomes[2]);
	if (failures) {
		printf("FAIL\n");
		return 1;
	}
	printf("PASS\n");
	return 0;
}
