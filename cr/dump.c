/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump: seize the tree, refuse what is not supported yet (before
 * anything is written), collect and write every process, commit the image
 * directory, release.  Any failure releases the tree as it was and leaves
 * the image directory uncommitted.
 */
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include "dump.h"
#include "fault.h"
#include "fds.h"
#include "file-identity.h"
#include "log.h"
#include "mem-copy.h"
#include "proto/inventory.pb-c.h"
#include "proto/pstree.pb-c.h"

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * Namespaces the dump can carry.  A kind marked false must be the dumper's
 * own; the modules that dump a namespace kind flip its line.
 */
static const struct {
	const char *name;
	bool dumped;
} dump_ns_kinds[] = {
	{ "pid", true },
	{ "mnt", true },
	{ "net", true },
	{ "ipc", true },
	{ "uts", true },
	{ "user", true },
	{ "cgroup", true },
	{ "time", true },
};

static int check_namespaces(pid_t pid)
{
	for (size_t i = 0; i < ARRAY_SIZE(dump_ns_kinds); i++) {
		const char *ns = dump_ns_kinds[i].name;
		char a[64], b[64];
		struct stat sa, sb;

		if (dump_ns_kinds[i].dumped)
			continue;
		snprintf(a, sizeof(a), "/proc/%d/ns/%s", pid, ns);
		snprintf(b, sizeof(b), "/proc/self/ns/%s", ns);
		if (stat(b, &sb) < 0)
			continue;	/* namespace kind not in this kernel */
		if (stat(a, &sa) < 0)
			return log_error_errno(negative_errno(), "cannot stat %s", a);
		if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev) {
			log_error("process %d is in another %s namespace: not supported yet", pid, ns);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int check_session(struct dump_ctx *c)
{
	struct seized_task *root = &c->tree->tasks[0];

	if (c->opts->shell_job)
		return 0;
	if (!pstree_find(c->tree, root->stat.sid) || !pstree_find(c->tree, root->stat.pgid)) {
		log_error("process %d is in session %d / process group %d led from outside the tree; "
			  "pass --shell-job to dump it anyway", root->pid, root->stat.sid, root->stat.pgid);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int check_supported(struct dump_ctx *c)
{
	int r = check_session(c);

	for (size_t i = 0; i < c->tree->nr_tasks && r >= 0; i++) {
		struct seized_task *k = &c->tree->tasks[i];
		if (k->zombie)
			continue;
		/* Task state (credentials, seccomp, no_new_privs, timers, ...) is all
		 * carried by taskstate-PID.img (cr/restore-ts.c): nothing to refuse. */
		r = check_namespaces(k->pid);
	}
	return r;
}

static int write_pstree(struct dump_ctx *c)
{
	struct img *img = NULL;
	int r, q = 0;

	r = img_open(c->dir, IMG_PSTREE, true, &img);
	if (r < 0)
		return log_error_errno(r, "cannot create pstree image");
	for (size_t i = 0; i < c->tree->nr_tasks && r >= 0; i++) {
		struct seized_task *k = &c->tree->tasks[i];
		PstreeEntry e = PSTREE_ENTRY__INIT;
		_cleanup_free_ uint32_t *tids = calloc(k->nr_threads ? k->nr_threads : 1, sizeof(uint32_t));

		if (!tids) {
			r = -ENOMEM;
			break;
		}
		e.pid = (uint32_t)k->pid;
		e.ppid = k->parent < 0 ? 0 : (uint32_t)c->tree->tasks[k->parent].pid;
		e.pgid = (uint32_t)k->stat.pgid;
		e.sid = (uint32_t)k->stat.sid;
		for (size_t j = 0; j < k->nr_threads; j++)
			tids[j] = (uint32_t)k->threads[j].tid;
		e.threads = tids;
		e.n_threads = k->nr_threads;
		if (k->zombie) {
			e.has_zombie = e.has_exit_status = true;
			e.zombie = true;
			e.exit_status = k->stat.exit_code;
		}
		r = img_write(img, &e.base);
	}
	q = img_close(img);
	if (r < 0 || q < 0)
		return log_error_errno(r < 0 ? r : q, "cannot write pstree image");
	return 0;
}

static void count_tree(const struct pstree *t, uint32_t *tasks, uint32_t *threads)
{
	*tasks = *threads = 0;
	for (size_t i = 0; i < t->nr_tasks; i++) {
		(*tasks)++;
		*threads += (uint32_t)t->tasks[i].nr_threads;
	}
}

int dump_add_dumped(struct dump_ctx *c, const char *kind)
{
	if (c->n_dumped_extra >= ARRAY_SIZE(c->dumped_extra))
		return log_error_errno(-ENOSPC, "too many kinds for the inventory (%s)", kind);
	c->dumped_extra[c->n_dumped_extra++] = kind;
	return 0;
}

static int write_inventory(struct dump_ctx *c)
{
	static const char *const base_dumped[] = { "pstree", "core", "mm", "pages", "files", "taskstate",
						   "ns-ids", "utsns", "ipcns", "timens", "userns", "cgroupns",
						   "cgroup" };
	char *dumped[ARRAY_SIZE(base_dumped) + ARRAY_SIZE(c->dumped_extra)];
	size_t n_dumped = 0;
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	DumpStatsEntry st = DUMP_STATS_ENTRY__INIT;
	struct img *img = NULL;
	int r, q;

	r = fault_inject("before-write-inventory");
	if (r < 0)
		return r;
	r = img_inventory_init(&inv);
	if (r < 0)
		return log_error_errno(r, "cannot fill the inventory");
	inv.has_root_pid = true;
	inv.root_pid = (uint32_t)c->tree->root;
	for (size_t i = 0; i < ARRAY_SIZE(base_dumped); i++)
		dumped[n_dumped++] = (char *)base_dumped[i];
	for (size_t i = 0; i < c->n_dumped_extra; i++)
		dumped[n_dumped++] = (char *)c->dumped_extra[i];
	inv.dumped = dumped;
	inv.n_dumped = n_dumped;
	st.has_frozen_time_us = st.has_pages_scanned = st.has_pages_written = true;
	st.has_pages_zero = st.has_tasks = st.has_threads = st.has_image_bytes = true;
	st.has_memdump_time_us = st.has_memwrite_time_us = true;
	st.memdump_time_us = c->stats.read_usec;
	st.memwrite_time_us = copy_pipe_store_usec(c->copy);
	st.frozen_time_us = now_usec() - c->frozen_since;
	st.pages_scanned = c->stats.pages_scanned;
	st.pages_written = c->stats.pages_written;
	st.pages_zero = c->stats.pages_zero;
	st.image_bytes = c->stats.bytes_written;
	count_tree(c->tree, &st.tasks, &st.threads);
	inv.stats = &st;
	r = img_open(c->dir, IMG_INVENTORY, true, &img);
	if (r >= 0) {
		r = img_write(img, &inv.base);
		q = img_close(img);
		if (r >= 0)
			r = q;
	}
	/* Not ours: img_inventory_clear must not free them. */
	inv.stats = NULL;
	inv.dumped = NULL;
	inv.n_dumped = 0;
	img_inventory_clear(&inv);
	if (r < 0)
		return log_error_errno(r, "cannot write inventory");
	return 0;
}

static int dump_tasks(struct dump_ctx *c)
{
	for (size_t i = 0; i < c->tree->nr_tasks; i++) {
		struct seized_task *k = &c->tree->tasks[i];
		int r;

		if (k->zombie)
			continue;
		log_info("dumping process %d (%zu threads)", k->pid, k->nr_threads);
		/* Memory and open files too, while the parasite is in (dump-core.c). */
		r = dump_task(c, k);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dump_seized(struct dump_ctx *c)
{
	/* The network lock first: nothing may reach the tree's sockets while it is dumped. */
	int r = dump_netlock(c);

	if (r >= 0)
		r = fault_inject("after-seize");
	if (r >= 0)
		r = check_supported(c);
	if (r < 0)
		return r;
	r = img_dir_open_write(c->opts->dir, &c->dir);
	if (r < 0)
		return log_error_errno(r, "cannot open image directory %s", c->opts->dir);
	struct fd_opts fd_opts = { .inherit_tty_stdio = c->opts->shell_job,
				   .external = c->opts->external_fds, .nr_external = c->opts->nr_external_fds,
				   .ghost_limit = c->opts->ghost_limit, .file_locks = c->opts->file_locks,
				   .tcp_established = c->opts->tcp_established,
				   .ext_unix_sk = c->opts->ext_unix_sk };
	r = fd_ctx_new(&fd_opts, &c->fds);
	if (r < 0)
		return log_error_errno(r, "cannot set up the collection of open files");
	r = dump_mntnet(c);
	if (r >= 0)
		r = dump_namespaces(c);
	if (r >= 0)
		r = dump_tasks(c);
	if (r >= 0)
		r = fds_write_images(c->fds, c->dir);
	if (r >= 0)
		r = write_pstree(c);
	if (r >= 0)
		r = write_inventory(c);
	if (r >= 0)
		r = fault_inject("before-release");
	return r;
}

static void log_stats(const struct dump_ctx *c)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		log_info("dumper max RSS %ld KiB", ru.ru_maxrss);
	log_info("dump statistics: frozen %" PRIu64 " us, pages scanned %" PRIu64 ", written %" PRIu64
		 ", zero %" PRIu64 ", %" PRIu64 " bytes, read %" PRIu64 " us, store %" PRIu64 " us, "
		 "%" PRIu64 " areas scanned with PAGEMAP_SCAN",
		 c->stats.frozen_usec, c->stats.pages_scanned, c->stats.pages_written,
		 c->stats.pages_zero, c->stats.bytes_written, c->stats.read_usec, c->stats.store_usec,
		 c->stats.scanned_by_ioctl);
}

static int dump_tree(const struct dump_opts *o)
{
	struct dump_ctx c = { .opts = o };
	uint64_t t0 = 0;
	int r, q;

	r = copy_pipe_start(&c.copy);
	if (r < 0)
		return log_error_errno(r, "cannot start the memory copy pipeline");
	r = dump_refuse_frozen_v2(o->pid);
	if (r >= 0)
		r = seize_tree(o->pid, o->freeze_cgroup, &c.tree);
	if (r >= 0) {
		t0 = c.frozen_since = now_usec();
		r = dump_seized(&c);
	}
	/* Publish the images before the tree is killed; on any failure the tree runs on. */
	if (r >= 0) {
		r = img_dir_commit(c.dir);
		if (r < 0)
			log_error_errno(r, "cannot commit image directory %s", o->dir);
	}
	/* Established TCP sockets go into repair mode: the kill sends no FIN or RST. */
	if (r >= 0 && c.tree && o->release == RELEASE_KILL)
		r = fds_prepare_kill(c.fds);
	if (c.tree) {
		q = release_tree(c.tree, r < 0 ? RELEASE_RUNNING : o->release);
		c.stats.frozen_usec = now_usec() - t0;
		if (r >= 0 && q < 0)
			r = q;
	}
	dump_netlock_release(&c, r >= 0);
	if (c.dir)
		img_dir_close(c.dir);
	c.stats.store_usec = copy_pipe_store_usec(c.copy);
	copy_pipe_stop(c.copy);
	fd_ctx_free(c.fds);
	file_identity_cache_free(c.file_ids);
	free(c.shmem);
	if (r >= 0)
		log_stats(&c);
	return r;
}

int cr_dump(const struct dump_opts *o)
{
	sigset_t term, saved;
	int r;

	/* A Ctrl-C or kill of the dumper while the tree is seized would leave it
	 * with a parasite and foreign registers: termination waits until the
	 * tree is released.  (SIGKILL cannot be held off; ptrace then detaches.) */
	sigemptyset(&term);
	sigaddset(&term, SIGINT);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGHUP);
	sigaddset(&term, SIGQUIT);
	sigprocmask(SIG_BLOCK, &term, &saved);
	r = dump_tree(o);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return r;
}
