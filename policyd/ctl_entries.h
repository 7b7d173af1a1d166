/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control commands that change the kernel's policy for fwctl: entries.add and
 * entries.delete (fwctl block/unblock/allow/disallow, one entry or a bulk chunk), iface.attach
 * and iface.detach (fwctl attach/detach). Each change is made in the kernel, logged (one log
 * line and one EVE "policy" event naming who asked: the client's uid and pid), and saved in the
 * state file shortly after (daemon_save_soon). Arguments are documented in docs/control.md.
 *
 * Threading: the main loop's thread only (control handlers).
 */
#pragma once

struct control;
struct daemon;
struct ctl_entries;

/* Register the four commands on C, served from D. Returns 0 or -errno; *ret is set either
 * way (unless -ENOMEM) and freed with ctl_entries_free() after C. */
int ctl_entries_register(struct control *c, struct daemon *d, struct ctl_entries **ret);
void ctl_entries_free(struct ctl_entries *ce);
