/* SPDX-License-Identifier: GPL-2.0-or-later */
/* POSIX message queues of an IPC namespace (internal to ipc.c). */
#ifndef CRYO_IPC_MQUEUE_H
#define CRYO_IPC_MQUEUE_H

#include "proto/ns.pb-c.h"

/* In a thread that joined the IPC namespace: every queue, contents included. */
int ipc_mqueue_collect(IpcNsEntry *ns);
/* Inside the fresh IPC namespace: one queue with its messages, owner and mode. */
int ipc_mqueue_restore(const MqueueEntry *e);

#endif
