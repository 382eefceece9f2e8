/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pipes and FIFOs: bytes in flight (byte for byte, including a full
 * non-default-size pipe), both ends of one pipe connected after restore,
 * a pipe whose only end in the task is the write end, O_NONBLOCK, and a
 * FIFO with data.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"
#include "util.h"

#define BIG	(256 * 1024)
static char fifo_path[64];

static uint8_t pattern(size_t i)
{
	return (i * 131 + i / 251) & 0xff;
}

static int setup(void)
{
	int p[2];
	static uint8_t buf[BIG];

	/* fds 10/11: one pipe, "hello" in flight, read end non-blocking */
	if (pipe(p) < 0 || place_fd(p[0], 10) < 0 || place_fd(p[1], 11) < 0 || write(11, "hello", 5) != 5)
		return tlog("setup pipe 1: %m"), -1;
	fcntl(10, F_SETFL, O_NONBLOCK);
	/* fd 12: only the read end kept, a full 256 KiB pipe */
	if (pipe(p) < 0 || fcntl(p[1], F_SETPIPE_SZ, BIG) < 0)
		return tlog("setup pipe 2: %m"), -1;
	for (size_t i = 0; i < BIG; i++)
		buf[i] = pattern(i);
	if (write(p[1], buf, BIG) != BIG || place_fd(p[0], 12) < 0)
		return tlog("setup pipe 2 fill: %m"), -1;
	close(p[1]);
	/* fd 13: only the write end kept, "tail" in flight (read end in nobody's hands) */
	if (pipe2(p, O_CLOEXEC) < 0 || write(p[1], "tail", 4) != 4 || place_fd(p[1], 13) < 0)
		return tlog("setup pipe 3: %m"), -1;
	close(p[0]);
	/* fds 14/15: a FIFO with "fifo!" in flight */
	if (place_fd(open(fifo_path, O_RDWR), 14) < 0 || place_fd(open(fifo_path, O_WRONLY), 15) < 0 ||
	    write(15, "fifo!", 5) != 5)
		return tlog("setup fifo: %m"), -1;
	return 0;
}

static int verify(bool restored)
{
	static uint8_t buf[BIG];
	char s[16];
	size_t got = 0;

	CHECK(fcntl(10, F_GETFL) & O_NONBLOCK, "fd 10 O_NONBLOCK");
	CHECK(read(10, s, sizeof(s)) == 5 && !memcmp(s, "hello", 5), "pipe 1 data");
	CHECK(write(11, "again", 5) == 5 && read(10, s, sizeof(s)) == 5 && !memcmp(s, "again", 5),
	      "pipe 1 ends connected");
	CHECK(fcntl(12, F_GETPIPE_SZ) == BIG, "pipe 2 size %d", fcntl(12, F_GETPIPE_SZ));
	while (got < BIG) {
		ssize_t n = read(12, buf + got, BIG - got);
		CHECK(n > 0, "pipe 2 short: %zu bytes", got);
		got += n;
	}
	for (size_t i = 0; i < BIG; i++)
		CHECK(buf[i] == pattern(i), "pipe 2 byte %zu", i);
	CHECK(read(12, s, 1) == 0, "pipe 2 then at EOF");
	CHECK(fcntl(13, F_GETFD) == FD_CLOEXEC, "fd 13 FD_CLOEXEC");
	CHECK((fcntl(13, F_GETFL) & O_ACCMODE) == O_WRONLY, "fd 13 write end");
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/13");
	int rd = open(link, O_RDONLY | O_NONBLOCK);
	CHECK(rd >= 0 && read(rd, s, sizeof(s)) == 4 && !memcmp(s, "tail", 4), "pipe 3 data");
	close(rd);
	CHECK(read(14, s, sizeof(s)) == 5 && !memcmp(s, "fifo!", 5), "FIFO data");
	if (restored)
		tlog("restored pipes verified");
	return 0;
}

int main(void)
{
	struct fds_case c = { .name = "fds-pipe", .setup = setup, .verify = verify };
	int r;

	snprintf(fifo_path, sizeof(fifo_path), "/tmp/cryo-fds-fifo-%d", getpid());
	if (mkfifo(fifo_path, 0600) < 0)
		return 1;
	r = fds_case_run(&c);
	unlink(fifo_path);
	return r;
}
