/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "hooks.h"

static int spawn_hook(const struct oci_hook *h, int stdin_fd)
{
	static char *empty_env[] = { NULL };
	char *argv0[] = { h->path, NULL };
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* Own process group: a timeout kills the hook and whatever it started. */
	setpgid(0, 0);
	dup2(stdin_fd, 0);
	/* Keep the hook's stdout/stderr: engines collect them in their logs. */
	execve(h->path, h->args && h->args[0] ? h->args : argv0, h->env ? h->env : empty_env);
	fprintf(stderr, "cannot exec hook %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Wait for pid up to timeout seconds (0 = forever); kill it on timeout. */
static int wait_hook(pid_t pid, int timeout, int *status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int r;

	if (pidfd >= 0 && timeout > 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		do
			r = poll(&p, 1, timeout * 1000);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			close(pidfd);
			return -ETIMEDOUT;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return negative_errno();
	return 0;
}

int oci_hooks_run(const struct oci_hook_list *list, const char *kind, const char *state_json,
		  struct oci_error *err)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct oci_hook *h = &list->hooks[i];
		int pipefd[2], status = 0, r;
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);
		pid_t pid;

		if (pipe2(pipefd, O_CLOEXEC) < 0)
			return oci_error_set(err, errno, "%s hook: pipe: %s", kind, strerror(errno));
		pid = spawn_hook(h, pipefd[0]);
		close(pipefd[0]);
		if (pid < 0) {
			close(pipefd[1]);
			return oci_error_set(err, errno, "%s hook %s: fork: %s", kind, h->path, strerror(errno));
		}
		/* A hook may ignore its stdin; a short write is not an error. */
		if (write(pipefd[1], state_json, strlen(state_json)) < 0 && errno != EPIPE)
			(void)0;
		close(pipefd[1]);
		signal(SIGPIPE, old);
		r = wait_hook(pid, h->timeout, &status);
		if (r == -ETIMEDOUT)
			return oci_error_set(err, ETIMEDOUT, "%s hook %s timed out after %d s", kind, h->path,
					     h->timeout);
		if (r < 0)
			return oci_error_set(err, -r, "%s hook %s: wait: %s", kind, h->path, strerror(-r));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return oci_error_set(err, EIO, "%s hook %s failed (%s %d)", kind, h->path,
					     WIFEXITED(status) ? "exit status" : "signal",
					     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	return 0;
}
