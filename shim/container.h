/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container library behind the verbs.  State lives in ROOT/ID/:
 *   state.json  written by create (temp file + rename)
 *   exec.fifo   exists from create until start; the init blocks reading it
 */
#ifndef CRYO_CONTAINER_H
#define CRYO_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include "oci/spec.h"
#include "oci/state.h"

struct create_opts {
	const char *id;
	const char *bundle;
	const char *console_socket;
	const char *pid_file;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
};

/* ---- container.c: state directory, status ---- */
int container_id_valid(const char *id, struct oci_error *err);
char *container_dir(const char *id);
char *container_file(const char *id, const char *name);
/* Load ROOT/ID/state.json; "container ID does not exist" when absent. */
int container_load(const char *id, struct oci_state **ret, struct oci_error *err);
enum oci_status container_status(const struct oci_state *s);
/* starttime of /proc/PID/stat (0 if gone); *zombie set when exited but not reaped. */
uint64_t proc_start_time(pid_t pid, bool *zombie);
/* mkdir -p. */
int mkdir_parents(const char *path, mode_t mode);
/* Remove ROOT/ID and everything below it. */
int container_remove_dir(const char *id);
/* Write a pid file atomically. */
int write_pid_file(const char *path, pid_t pid, struct oci_error *err);
/* Load the config.json of the container's bundle (for hooks and exec). */
int container_load_spec(const struct oci_state *s, struct oci_spec **ret, struct oci_error *err);
/* Signal one process / every process in the container's cgroup. */
int container_signal_all(const struct oci_state *s, int sig);
/* Wait until pid has exited (up to timeout_ms); 0 if gone. */
int wait_pid_gone(pid_t pid, uint64_t start, int timeout_ms);

/* ---- create.c / init.c: create a container, leave its init waiting for start ---- */
int container_create(const struct create_opts *o, pid_t *ret_pid, struct oci_error *err);
int container_start(const char *id, struct oci_error *err);
/* Kill everything, remove cgroups and state, run poststop hooks. */
int container_destroy(const struct oci_state *s, struct oci_error *err);

/* ---- foreground.c ---- */
#include <signal.h>
void foreground_prepare(sigset_t *set);
int foreground_wait(pid_t pid, const sigset_t *set);

/* ---- tty-proxy.c: a terminal for foreground run/exec without --console-socket ---- */
#include <termios.h>
struct tty_proxy {
	char *dir, *path;
	int listen_fd, master;
	bool restore;
	struct termios saved;
};
int tty_proxy_listen(struct tty_proxy *t, struct oci_error *err);
int tty_proxy_accept(struct tty_proxy *t, struct oci_error *err);
int tty_proxy_wait(struct tty_proxy *t, pid_t pid, const sigset_t *set);
void tty_proxy_close(struct tty_proxy *t);

/* ---- exec.c: a new process in a running container ---- */
struct exec_opts {
	const char *console_socket;
	struct tty_proxy *tty;  /* foreground -t without --console-socket */
	const char *pid_file;
	bool detach;
	int preserve_fds;
};
int container_exec(const struct oci_state *s, const struct oci_spec *spec, const struct oci_process *p,
		   const struct exec_opts *o, struct oci_error *err);

/* ---- cgroups.c ---- */
bool cgroup_is_v2(void);
/* Resolve and create the container's cgroups; returns "ctrl=dir" strings. */
int cgroups_create(const char *cgroups_path, const char *id, char ***ret_paths, struct oci_error *err);
int cgroups_apply(char **paths, const struct oci_resources *res, const struct oci_spec *spec,
		  struct oci_error *err);
int cgroups_enter(char **paths, pid_t pid, struct oci_error *err);
/* cgroup v2 device rules as an eBPF program on dir (cgroups-bpf.c). */
int cgroups_bpf_devices(const char *dir, const struct oci_resources *res, const struct oci_spec *spec,
			struct oci_error *err);
int cgroups_destroy(char **paths);
/* Directory of a controller ("freezer", "pids", "memory", ...; v2 gives the unified dir). */
const char *cgroups_dir(char **paths, const char *controller);
/* Pids in the container's cgroup; returns count, *ret malloc'ed. */
int cgroups_pids(char **paths, pid_t **ret);
int cgroups_freeze(char **paths, bool freeze, struct oci_error *err);
bool cgroups_frozen(char **paths);
/* Print stats JSON ("data" of runc events) to f. */
void cgroups_stats_json(char **paths, FILE *f);

/* ---- rootfs.c (runs in the container's init) ---- */
int rootfs_setup(const struct oci_spec *spec, const char *rootfs, char **cgroup_paths, bool new_userns,
		 struct oci_error *err);
int rootfs_pivot(const char *rootfs, bool no_pivot, struct oci_error *err);
int rootfs_finish(const struct oci_spec *spec, struct oci_error *err);

/* ---- process.c: the last steps before execve (init and exec) ---- */
int process_set_rlimits(const struct oci_process *p, struct oci_error *err);
int process_set_user_and_caps(const struct oci_process *p, const struct oci_seccomp *seccomp,
			      struct oci_error *err);
/* Fail early (at create) when args[0] cannot be found in the container. */
int process_check_executable(const struct oci_process *p, struct oci_error *err);
/* execvpe with PATH from the process env; returns only on failure. */
int process_exec(const struct oci_process *p, struct oci_error *err);

/* ---- seccomp.c / caps.c ---- */
int seccomp_load_profile(const struct oci_seccomp *s, struct oci_error *err);
/* Build the filter without loading it: create rejects a bad profile up front. */
int seccomp_check_profile(const struct oci_seccomp *s, struct oci_error *err);
int caps_apply(const struct oci_capabilities *c, struct oci_error *err);
int caps_drop_bounding(const struct oci_capabilities *c, struct oci_error *err);

/* ---- console.c ---- */
int console_connect(const char *path, struct oci_error *err);
/* Open a new pty, send its master over sock_fd; *ret_slave is the slave. */
int console_new(int sock_fd, const struct oci_process *p, int *ret_slave, struct oci_error *err);
/* Open a new pty, send its master over sock_fd, make the slave our controlling tty on 0,1,2. */
int console_setup(int sock_fd, const struct oci_process *p, struct oci_error *err);

/* ---- sync.c: messages between cryo and the container's init ---- */
enum sync_type {
	SYNC_GO = 1,
	SYNC_USERMAP,    /* child unshared a user ns: parent writes uid/gid maps */
	SYNC_PID,        /* value = pid of the container init (host view) */
	SYNC_HOOKS,      /* init asks the runtime to run prestart/createRuntime hooks */
	SYNC_READY,      /* init is set up and waits for start */
	SYNC_ERROR,      /* text = message, value = errno */
	SYNC_OK,
};
struct sync_msg {
	int type;
	int value;
	char text[65536];       /* state JSON with an engine's annotations fits */
};
int sync_send(int fd, int type, int value, const char *text);
int sync_recv(int fd, struct sync_msg *m);
/* Send an oci_error as SYNC_ERROR. */
void sync_send_error(int fd, const struct oci_error *err);

#endif
