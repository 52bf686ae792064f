/*
 * Private to tuning/: reading and writing small /proc and /sys files under a
 * root prefix, shared by tune_host.c and tune_apply.c, and the halt-polling
 * reading tune_check.c shares with tune_apply.c. Not part of the
 * public API (no PS_API: hidden outside the library).
 */
#ifndef PS_TUNE_FS_H
#define PS_TUNE_FS_H

#include <stddef.h>
#include <stdint.h>

/* Copy @root without trailing '/' into @out ("/" and NULL give "").
 * Returns 0, or -ENAMETOOLONG when it does not fit in @len. */
int ps_tune__root(const char *root, char *out, size_t len);

/* Read @root/@rel whole into @buf (NUL-terminated, trailing whitespace cut).
 * Returns the length, or -errno (-ENAMETOOLONG for a path too long). */
int ps_tune__read(const char *root, const char *rel, char *buf, size_t len);

/* Write @value plus a newline to @root/@rel (an existing file; truncated
 * first so fake trees read back exactly the value). Returns 0 or -errno. */
int ps_tune__write(const char *root, const char *rel, const char *value);

/*
 * A KVM guest's haltpoll cpuidle driver and governor: an idle vCPU polls for
 * up to guest_halt_poll_ns before it halts (a VM exit). At 0 it halts at
 * once, and whoever wakes it waits for the host to run the vCPU again
 * (tuning/GUIDE.md, "halt_poll", has what that cost on our VM). Shared by
 * tune check (the report) and tune apply (the change).
 */
#define PS_TUNE__HALT_POLL_PARAM "sys/module/haltpoll/parameters/guest_halt_poll_ns"
#define PS_TUNE__HALT_POLL_ON    "200000" /* ns: the kernel's own default */

enum ps_tune__halt_poll {
	PS_TUNE__HP_NOT_GUEST, /* another cpuidle driver, or none */
	PS_TUNE__HP_OTHER_GOV, /* haltpoll driver under another governor: no parameter applies */
	PS_TUNE__HP_NO_PARAM,  /* haltpoll governor, parameter missing or unreadable */
	PS_TUNE__HP_OFF,       /* guest_halt_poll_ns is 0: halt at once */
	PS_TUNE__HP_ON,        /* polls up to ns before halting */
};

struct ps_tune__halt_poll_state {
	char driver[32];   /* cpuidle current_driver, "none" when unreadable */
	char governor[32]; /* current_governor(_ro), "" when unreadable */
	char param[32];    /* guest_halt_poll_ns as read */
	uint64_t ns;
};

/* Reads the driver, governor and parameter under @root (as ps_tune__read). */
enum ps_tune__halt_poll ps_tune__halt_poll(const char *root, struct ps_tune__halt_poll_state *s);

#endif /* PS_TUNE_FS_H */
