/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The runtime's own log output, as a sink behind cr/log.h.  With --log FILE the
 * records go there (text, or json lines with level/msg/time for containerd);
 * errors are also printed on stderr, where engines and people look first.
 */
#include <fcntl.h>
#include <string.h>
#include "cryo.h"
#include "oci/state.h"

static FILE *log_file;

static const char *level_name(enum log_level l)
{
	switch (l) {
	case LOG_LVL_ERROR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void sink(enum log_level level, const char *line, void *userdata)
{
	_cleanup_free_ char *now = NULL;

	(void)userdata;
	if (level == LOG_LVL_ERROR || !log_file)
		fprintf(stderr, "cryo: %s\n", line);
	if (!log_file)
		return;
	now = oci_now_rfc3339();
	if (cryo_globals.log_json) {
		fprintf(log_file, "{\"level\":\"%s\",\"msg\":\"", level_name(level));
		json_escape(log_file, line);
		fprintf(log_file, "\",\"time\":\"%s\"}\n", now ? now : "");
	} else {
		fprintf(log_file, "time=\"%s\" level=%s msg=\"", now ? now : "", level_name(level));
		json_escape(log_file, line);
		fputs("\"\n", log_file);
	}
	fflush(log_file);
}

int cryo_log_setup(void)
{
	log_set_level(cryo_globals.debug ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (cryo_globals.log_path && *cryo_globals.log_path && strcmp(cryo_globals.log_path, "-")) {
		int fd = open(cryo_globals.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "cryo: cannot open log file %s: %s\n", cryo_globals.log_path,
				strerror(errno));
			return -errno;
		}
		log_file = fdopen(fd, "a");
	}
	log_set_sink(sink, NULL);
	return 0;
}

int fail_oci(const struct oci_error *err)
{
	log_error("%s", err->msg);
	return 1;
}
