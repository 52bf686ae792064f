/*
 * The limits board: the operator thread's side of the seqlock snapshot.
 * One writer thread; every change is validated against the whole set first
 * and reported as a change record (who, what, old, new) for the journal.
 */
#include <errno.h>
#include <string.h>

#include <ps/err.h>
#include <ps/risk.h>

size_t ps_risk_board_memsize(uint32_t instrument_count)
{
	if (instrument_count == 0 || instrument_count > (1u << 24))
		return 0;
	return sizeof(struct ps_risk_limits) +
	       (size_t)instrument_count * sizeof(struct ps_risk_instr_limits);
}

int ps_risk_board_init(struct ps_risk_board *b, void *mem, uint32_t instrument_count,
		       const struct ps_risk_limits *g, const struct ps_risk_instr_limits *il,
		       char *err, size_t err_len)
{
	size_t len = ps_risk_board_memsize(instrument_count);
	int rc;

	if (!b || !mem || !g || !il || len == 0 || ((uintptr_t)mem & 7u))
		return -EINVAL;
	rc = ps_risk_limits_validate(g, il, instrument_count, err, err_len);
	if (rc)
		return rc;
	memset(b, 0, sizeof(*b));
	ps_seqlock_init(&b->lock);
	b->instrument_count = instrument_count;
	b->g = (struct ps_risk_limits *)mem;
	b->il = (struct ps_risk_instr_limits *)(b->g + 1);
	b->len = len;
	/* Before any reader exists: plain copies. */
	memcpy(b->g, g, sizeof(*g));
	memcpy(b->il, il, (size_t)instrument_count * sizeof(*il));
	return 0;
}

void ps_risk_board_fini(struct ps_risk_board *b)
{
	if (b)
		memset(b, 0, sizeof(*b));
}

static int64_t *slot(struct ps_risk_board *b, enum ps_risk_scope scope, unsigned key,
		     uint32_t index)
{
	switch (scope) {
	case PS_RISK_SCOPE_GLOBAL:
		return key < PS_RISK_G__COUNT ? &b->g->g[key] : NULL;
	case PS_RISK_SCOPE_INSTR:
		if (key >= PS_RISK_I__COUNT || index >= b->instrument_count)
			return NULL;
		return &b->il[index].v[key];
	case PS_RISK_SCOPE_STRATEGY:
		if (key >= PS_RISK_S__COUNT || index >= PS_RISK_MAX_STRATEGIES)
			return NULL;
		return &b->g->s[key][index];
	}
	return NULL;
}

int ps_risk_board_set(struct ps_risk_board *b, const char *who, enum ps_risk_scope scope,
		      unsigned key, uint32_t index, int64_t value, struct ps_risk_change *rec,
		      char *err, size_t err_len)
{
	int64_t *p, old;
	int rc;

	if (!b || !b->g || !(p = slot(b, scope, key, index)))
		return -EINVAL;
	/* Only this (writer) thread stores to the snapshot: plain reads are fine. */
	old = *p;
	/* Validate the whole set with the new value in place; the store below
	 * is published only if it passes. Readers never see the trial value
	 * because it is written only under the seqlock. */
	{
		struct ps_risk_limits g = *b->g;
		int64_t *q;

		switch (scope) {
		case PS_RISK_SCOPE_GLOBAL:
			g.g[key] = value;
			rc = ps_risk_limits_validate(&g, b->il, b->instrument_count, err, err_len);
			break;
		case PS_RISK_SCOPE_STRATEGY:
			g.s[key][index] = value;
			rc = ps_risk_limits_validate(&g, b->il, 0, err, err_len);
			break;
		default: {
			struct ps_risk_instr_limits one = b->il[index];

			q = &one.v[key];
			*q = value;
			rc = ps_risk_limits_validate(&g, &one, 1, err, err_len);
			break;
		}
		}
		if (rc)
			return rc;
	}
	ps_seqlock_write_begin(&b->lock);
	/* Relaxed: ordered by the fences in write_begin (F1) and write_end (R1);
	 * readers copy with ps_seqlock_read. */
	__atomic_store_n(p, value, __ATOMIC_RELAXED);
	ps_seqlock_write_end(&b->lock);
	b->change_seq++;
	if (rec) {
		memset(rec, 0, sizeof(*rec));
		rec->seq = b->change_seq;
		rec->old_value = old;
		rec->new_value = value;
		rec->index = scope == PS_RISK_SCOPE_GLOBAL ? 0 : index;
		rec->key = (uint16_t)key;
		rec->scope = (uint8_t)scope;
		if (who)
			strncpy(rec->who, who, PS_RISK_WHO_LEN - 1);
	}
	return 0;
}

int ps_risk_board_kill(struct ps_risk_board *b, const char *who, bool on,
		       struct ps_risk_change *rec)
{
	return ps_risk_board_set(b, who, PS_RISK_SCOPE_GLOBAL, PS_RISK_G_KILL_SWITCH, 0, on, rec,
				 NULL, 0);
}

int ps_risk_board_reset(struct ps_risk_board *b, const char *who, struct ps_risk_change *rec)
{
	if (!b || !b->g)
		return -EINVAL;
	return ps_risk_board_set(b, who, PS_RISK_SCOPE_GLOBAL, PS_RISK_G_RESET_GEN, 0,
				 b->g->g[PS_RISK_G_RESET_GEN] + 1, rec, NULL, 0);
}

int ps_risk_board_strategy_enable(struct ps_risk_board *b, const char *who, uint32_t strategy,
				  bool on, struct ps_risk_change *rec)
{
	return ps_risk_board_set(b, who, PS_RISK_SCOPE_STRATEGY, PS_RISK_S_OFF, strategy, !on, rec,
				 NULL, 0);
}

int ps_risk_board_strategy_release(struct ps_risk_board *b, const char *who, uint32_t strategy,
				   struct ps_risk_change *rec)
{
	if (!b || !b->g || strategy >= PS_RISK_MAX_STRATEGIES)
		return -EINVAL;
	return ps_risk_board_set(b, who, PS_RISK_SCOPE_STRATEGY, PS_RISK_S_RELEASE_GEN, strategy,
				 b->g->s[PS_RISK_S_RELEASE_GEN][strategy] + 1, rec, NULL, 0);
}
