/*
 * Private interface between the venue simulator's core (venue.c) and its
 * FIX 4.4 order-entry gateway (venue_fix.c). Only the venue sources and the
 * venue tests include it.
 *
 * The gateway turns FIX NewOrderSingle / OrderCancelRequest /
 * OrderCancelReplaceRequest into the venue's OUCH order operations, and
 * every OUCH message the venue sends a user into FIX ExecutionReports and
 * OrderCancelRejects on that user's FIX session: one matching engine, two
 * protocols.
 */
#ifndef PS_VENUE_INTERNAL_H
#define PS_VENUE_INTERNAL_H

#include <ps/ouch.h>
#include <ps/venue.h>

struct venue_fix;

/* venue.c: the order operations, as an OUCH session would ask for them. */
void ps_venue__enter(struct ps_venue *v, int user, const struct ps_ouch_enter_order *e);
void ps_venue__cancel(struct ps_venue *v, int user, const struct ps_ouch_cancel_order *c);
void ps_venue__replace(struct ps_venue *v, int user, const struct ps_ouch_replace_order *r);

/*
 * venue_fix.c. create returns 0 with *out NULL when vc->fix_listen is
 * empty (no FIX), else listens there; PS_ECONFIG / -errno with err set.
 */
int ps_venue__fix_create(struct ps_venue *v, const struct ps_venue_config *vc,
			 struct venue_fix **out, char *err, size_t err_len);
void ps_venue__fix_destroy(struct venue_fix *f);
/* Runs the FIX connections (non-blocking). */
void ps_venue__fix_poll(struct venue_fix *f);
/* Drops every FIX connection (the control port's disconnect). @return how many. */
uint32_t ps_venue__fix_disconnect(struct venue_fix *f);
/* An OUCH message venue.c sends user: mirrored on the user's FIX session. */
void ps_venue__fix_on_ouch(struct venue_fix *f, int user, const uint8_t *msg, uint16_t len);
uint16_t ps_venue__fix_port(const struct venue_fix *f);

#endif /* PS_VENUE_INTERNAL_H */
