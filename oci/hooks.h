/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Running OCI hooks: state JSON on stdin, optional timeout, non-zero exit is an error. */
#ifndef CRYO_OCI_HOOKS_H
#define CRYO_OCI_HOOKS_H

#include "spec.h"

int oci_hooks_run(const struct oci_hook_list *list, const char *kind, const char *state_json,
		  struct oci_error *err);

#endif
