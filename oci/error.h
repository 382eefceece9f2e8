/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The OCI layer's error object: an errno plus a message chain.  The innermost
 * failure sets the message; callers on the way up prepend context, so the CLI
 * prints one line such as "config.json: process.user.uid: expected integer".
 */
#ifndef CRYO_OCI_ERROR_H
#define CRYO_OCI_ERROR_H

#include "cr/util.h"

struct oci_error {
	int code;        /* positive errno, 0 if unset */
	char msg[2048];
};

/* Set the error and return -code (code is a positive errno). */
int oci_error_set(struct oci_error *err, int code, const char *fmt, ...) _printf_(3, 4);
/* Prepend "context: " to the message; returns -err->code. */
int oci_error_prefix(struct oci_error *err, const char *fmt, ...) _printf_(2, 3);

#endif
