/*
 * Order management: transition table, token hash, timeouts, diagnostics.
 * See <ps/oms.h> for the design.
 */
#include <ps/oms.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N_ PS_OMS_NEXT_ILLEGAL
#define W_ PS_OMS_NEXT_WORKING
#define P_ PS_OMS_NEXT_PREV

enum {
	S_PNEW = PS_OMS_STATE_PENDING_NEW,
	S_NEW = PS_OMS_STATE_NEW,
	S_PART = PS_OMS_STATE_PARTIALLY_FILLED,
	S_FILL = PS_OMS_STATE_FILLED,
	S_PCXL = PS_OMS_STATE_PENDING_CANCEL,
	S_CXL = PS_OMS_STATE_CANCELED,
	S_PREP = PS_OMS_STATE_PENDING_REPLACE,
	S_REPL = PS_OMS_STATE_REPLACED,
	S_REJ = PS_OMS_STATE_REJECTED,
	S_EXP = PS_OMS_STATE_EXPIRED,
	S_UNK = PS_OMS_STATE_UNKNOWN,
};

/*
 * [state][event] -> next state. Columns, in enum ps_oms_event order:
 * ACC REJ FILLP FILLF CXLREQ CXLPEND CXLD RED CXLREJ EXP REPREQ REPD REPREJ
 * MOD TIMEOUT DISC RESUME.
 * Notes on the less obvious cells:
 * - PENDING_CANCEL accepts ACC and fills: the cancel may cross the accept
 *   or a fill on the wire; it stays pending until C, I or a full fill.
 * - FILLED/CANCELED/EXPIRED take a late Cancel Reject or Replace Reject as
 *   a benign race (the order died before our request reached the venue).
 * - CANCEL_REQ is refused in PENDING_REPLACE: cancel once the replace is
 *   answered (or cancel the replacement token).
 */
static const uint8_t next_state[PS_OMS_STATE_COUNT][PS_OMS_EV_COUNT] = {
	/*            ACC    REJ    FILLP   FILLF   CXLREQ  CXLPND  CXLD   RED     CXLREJ
	 *            EXP    REPREQ REPD    REPREJ  MOD     TMO     DISC   RESUME */
	[PS_OMS_STATE_FREE] = { N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_,
				N_ },
	[S_PNEW] = { S_NEW, S_REJ, N_, N_, S_PCXL, N_, N_, N_, N_, N_, N_, N_, N_, N_, S_UNK, S_UNK,
		     N_ },
	[S_NEW] = { N_, N_, S_PART, S_FILL, S_PCXL, N_, S_CXL, S_NEW, N_, S_EXP, S_PREP, N_, N_,
		    S_NEW, N_, S_UNK, N_ },
	[S_PART] = { N_, N_, S_PART, S_FILL, S_PCXL, N_, S_CXL, S_PART, N_, S_EXP, S_PREP, N_, N_,
		     S_PART, N_, S_UNK, N_ },
	[S_FILL] = { N_, N_, N_, N_, N_, N_, N_, N_, S_FILL, N_, N_, N_, S_FILL, N_, N_, N_, N_ },
	[S_PCXL] = { S_PCXL, S_REJ, S_PCXL, S_FILL, N_, S_PCXL, S_CXL, S_PCXL, W_, S_EXP, N_, N_,
		     N_, S_PCXL, S_UNK, S_UNK, N_ },
	[S_CXL] = { N_, N_, N_, N_, N_, N_, N_, N_, S_CXL, N_, N_, N_, S_CXL, N_, N_, N_, N_ },
	[S_PREP] = { N_, N_, S_PREP, S_FILL, N_, N_, S_CXL, S_PREP, N_, S_EXP, N_, S_REPL, W_,
		     S_PREP, S_UNK, S_UNK, N_ },
	[S_REPL] = { N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_ },
	[S_REJ] = { N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_, N_ },
	[S_EXP] = { N_, N_, N_, N_, N_, N_, N_, N_, S_EXP, N_, N_, N_, S_EXP, N_, N_, N_, N_ },
	[S_UNK] = { S_NEW, S_REJ, S_PART, S_FILL, S_PCXL, S_PCXL, S_CXL, W_, W_, S_EXP, N_, S_REPL,
		    W_, W_, N_, S_UNK, P_ },
};

#undef N_
#undef W_
#undef P_

uint8_t ps_oms_next_state(unsigned state, unsigned event)
{
	if (state >= PS_OMS_STATE_COUNT || event >= PS_OMS_EV_COUNT)
		return PS_OMS_NEXT_ILLEGAL;
	return next_state[state][event];
}

static bool is_pending(unsigned s)
{
	return s == S_PNEW || s == S_PCXL || s == S_PREP;
}

static bool is_terminal(unsigned s)
{
	return s == S_FILL || s == S_CXL || s == S_REPL || s == S_REJ || s == S_EXP;
}

/* ---- token hash ---------------------------------------------------------- */

/*
 * The table index is the top log2(slots) bits of ps_ouch_token_key times an
 * odd constant (as the book's order-id hash). The earlier hash took bits 32..
 * of products whose changing bytes sat at the top of their words: 5,000
 * consecutive tokens fell in 800 buckets, and with the demo's 17,000 orders a
 * lookup walked 39 slots on average (198 at worst), reading a token in
 * another order for each.
 */
static uint32_t token_hash(const struct ps_oms *oms, const char *t)
{
	return (uint32_t)((ps_ouch_token_key(t) * 0x9e3779b97f4a7c15ull) >> oms->hash_shift);
}

/* Handle of token or PS_OMS_NIL; *probes = the slots read. */
static inline uint32_t find_probes(const struct ps_oms *oms, const char *token, uint32_t *probes)
{
	uint32_t i = token_hash(oms, token);
	for (uint32_t n = 1;; n++) {
		uint32_t e = oms->hash[i];
		*probes = n;
		if (e == 0)
			return PS_OMS_NIL;
		if (memcmp(oms->orders[e - 1].token, token, PS_OUCH_TOKEN_LEN) == 0)
			return e - 1;
		i = (i + 1) & oms->hash_mask;
	}
}

uint32_t ps_oms_find(const struct ps_oms *oms, const char *token)
{
	uint32_t probes;
	return find_probes(oms, token, &probes);
}

uint32_t ps_oms_find_probes(const struct ps_oms *oms, const char *token)
{
	uint32_t probes;
	find_probes(oms, token, &probes);
	return probes;
}

static void hash_insert(struct ps_oms *oms, uint32_t h)
{
	uint32_t i = token_hash(oms, oms->orders[h].token);
	while (oms->hash[i] != 0)
		i = (i + 1) & oms->hash_mask;
	oms->hash[i] = h + 1;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void hash_remove(struct ps_oms *oms, uint32_t h)
{
	uint32_t mask = oms->hash_mask;
	uint32_t i = token_hash(oms, oms->orders[h].token);
	while (oms->hash[i] != h + 1) {
		if (oms->hash[i] == 0)
			return;
		i = (i + 1) & mask;
	}
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		uint32_t e = oms->hash[j];
		if (e == 0)
			break;
		uint32_t k = token_hash(oms, oms->orders[e - 1].token);
		/* Move e into the hole at i unless its home k lies cyclically in (i, j]. */
		bool stay = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
		if (!stay) {
			oms->hash[i] = e;
			i = j;
		}
	}
	oms->hash[i] = 0;
}

/* ---- lists --------------------------------------------------------------- */

static void pend_unlink(struct ps_oms *oms, uint32_t h)
{
	struct ps_oms_order *o = &oms->orders[h];
	if (o->pend_prev != PS_OMS_NIL)
		oms->orders[o->pend_prev].pend_next = o->pend_next;
	else
		oms->pend_head = o->pend_next;
	if (o->pend_next != PS_OMS_NIL)
		oms->orders[o->pend_next].pend_prev = o->pend_prev;
	else
		oms->pend_tail = o->pend_prev;
	o->pend_prev = o->pend_next = PS_OMS_NIL;
	o->deadline_ns = 0;
}

static void pend_append(struct ps_oms *oms, uint32_t h, uint64_t now_ns)
{
	struct ps_oms_order *o = &oms->orders[h];
	o->deadline_ns = now_ns + oms->timeout_ns;
	o->pend_next = PS_OMS_NIL;
	o->pend_prev = oms->pend_tail;
	if (oms->pend_tail != PS_OMS_NIL)
		oms->orders[oms->pend_tail].pend_next = h;
	else
		oms->pend_head = h;
	oms->pend_tail = h;
}

static void term_append(struct ps_oms *oms, uint32_t h)
{
	oms->orders[h].next = PS_OMS_NIL;
	if (oms->term_tail != PS_OMS_NIL)
		oms->orders[oms->term_tail].next = h;
	else
		oms->term_head = h;
	oms->term_tail = h;
}

/* ---- diagnostics --------------------------------------------------------- */

static PS_NOINLINE void record(struct ps_oms *oms, uint32_t h, const char *token, unsigned event,
			       int err, uint32_t qty, uint64_t now_ns)
{
	struct ps_oms_diag *d = &oms->diag[oms->diag_total % PS_OMS_DIAG_COUNT];
	d->now_ns = now_ns;
	memcpy(d->token, token, PS_OUCH_TOKEN_LEN);
	d->handle = h;
	d->err = err;
	d->state = h == PS_OMS_NIL ? 0 : oms->orders[h].state;
	d->event = (uint8_t)event;
	d->qty = qty;
	oms->diag_total++;
}

/* Records and counts a refused event; changes nothing else. */
static PS_NOINLINE int refuse(struct ps_oms *oms, uint32_t h, const char *token, unsigned event,
			      int err, uint32_t qty, uint64_t now_ns)
{
	record(oms, h, token, event, err, qty, now_ns);
	switch (err) {
	case PS_ESTATE:
		oms->cnt.illegal++;
		break;
	case PS_ENOTFOUND:
		oms->cnt.unknown_token++;
		break;
	case PS_EOVERFLOW:
		oms->cnt.overfill++;
		break;
	case PS_EMISMATCH:
		oms->cnt.overcancel++;
		break;
	default:
		break;
	}
	return err;
}

uint64_t ps_oms_diag_total(const struct ps_oms *oms)
{
	return oms->diag_total;
}

int ps_oms_diag_get(const struct ps_oms *oms, uint32_t i, struct ps_oms_diag *out)
{
	uint64_t have = PS_MIN(oms->diag_total, (uint64_t)PS_OMS_DIAG_COUNT);
	if (i >= have)
		return PS_ENOTFOUND;
	*out = oms->diag[(oms->diag_total - 1 - i) % PS_OMS_DIAG_COUNT];
	return 0;
}

static const char *const state_names[PS_OMS_STATE_COUNT] = {
	"free",     "pending-new",     "new",      "partially-filled", "filled",  "pending-cancel",
	"canceled", "pending-replace", "replaced", "rejected",         "expired", "unknown",
};

static const char *const event_names[PS_OMS_EV_COUNT] = {
	"accepted",        "rejected", "fill-partial",   "fill-full",     "cancel-request",
	"cancel-pending",  "canceled", "reduced",        "cancel-reject", "expire",
	"replace-request", "replaced", "replace-reject", "modified",      "timeout",
	"disconnect",      "resume",
};

const char *ps_oms_state_name(unsigned state)
{
	return state < PS_OMS_STATE_COUNT ? state_names[state] : "?";
}

const char *ps_oms_event_name(unsigned event)
{
	return event < PS_OMS_EV_COUNT ? event_names[event] : "?";
}

int ps_oms_diag_format(const struct ps_oms_diag *d, char *buf, size_t len)
{
	return snprintf(buf, len, "t=%llu token=%.14s handle=%d state=%s event=%s qty=%u: %s",
			(unsigned long long)d->now_ns, d->token,
			d->handle == PS_OMS_NIL ? -1 : (int)d->handle, ps_oms_state_name(d->state),
			ps_oms_event_name(d->event), d->qty, ps_strerror(d->err));
}

/* ---- lifecycle ----------------------------------------------------------- */

static uint32_t hash_size(uint32_t capacity)
{
	uint32_t n = 16;
	while (n < capacity * 2u)
		n <<= 1;
	return n;
}

size_t ps_oms_memsize(const struct ps_oms_config *cfg)
{
	if (!cfg || cfg->capacity == 0 || cfg->capacity > (1u << 30))
		return 0;
	return (size_t)cfg->capacity * sizeof(struct ps_oms_order) +
	       (size_t)hash_size(cfg->capacity) * sizeof(uint32_t);
}

/* Writes counter v as zero-padded decimal into the token's digit field. */
static void token_format(struct ps_oms *oms, uint64_t v)
{
	for (int i = PS_OUCH_TOKEN_LEN - 1; i >= oms->prefix_len; i--) {
		oms->token_text[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

int ps_oms_init(struct ps_oms *oms, void *mem, const struct ps_oms_config *cfg)
{
	if (!oms || !mem || ps_oms_memsize(cfg) == 0 || cfg->timeout_ns == 0 ||
	    cfg->cod_policy > PS_OMS_COD_RESUME)
		return -EINVAL;
	const char *prefix = cfg->token_prefix ? cfg->token_prefix : "";
	size_t plen = strlen(prefix);
	if (plen > PS_OMS_PREFIX_MAX)
		return -EINVAL;
	for (size_t i = 0; i < plen; i++) {
		char c = prefix[i];
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return -EINVAL;
	}
	uint64_t max = 1;
	for (size_t i = plen; i < PS_OUCH_TOKEN_LEN; i++)
		max *= 10;
	max -= 1;
	if (cfg->token_start > max)
		return -EINVAL;

	memset(oms, 0, sizeof(*oms));
	oms->capacity = cfg->capacity;
	oms->orders = mem;
	uint32_t hs = hash_size(cfg->capacity);
	oms->hash = (uint32_t *)(oms->orders + cfg->capacity);
	oms->hash_mask = hs - 1;
	oms->hash_shift = (uint8_t)(64 - __builtin_ctz(hs));
	memset(oms->hash, 0, (size_t)hs * sizeof(uint32_t));
	memset(oms->orders, 0, (size_t)cfg->capacity * sizeof(struct ps_oms_order));
	for (uint32_t i = 0; i < cfg->capacity; i++) {
		struct ps_oms_order *o = &oms->orders[i];
		o->next = i + 1 < cfg->capacity ? i + 1 : PS_OMS_NIL;
		o->link = o->pend_prev = o->pend_next = PS_OMS_NIL;
	}
	oms->free_head = 0;
	oms->term_head = oms->term_tail = PS_OMS_NIL;
	oms->pend_head = oms->pend_tail = PS_OMS_NIL;
	oms->cod_policy = cfg->cod_policy;
	oms->prefix_len = (uint8_t)plen;
	oms->timeout_ns = cfg->timeout_ns;
	oms->token_next = cfg->token_start;
	oms->token_max = max;
	memcpy(oms->token_text, prefix, plen);
	token_format(oms, cfg->token_start);
	return 0;
}

void ps_oms_fini(struct ps_oms *oms)
{
	if (!oms)
		return;
	memset(oms, 0, sizeof(*oms));
}

/* ---- transitions --------------------------------------------------------- */

static void set_state(struct ps_oms *oms, uint32_t h, unsigned to, uint64_t now_ns)
{
	struct ps_oms_order *o = &oms->orders[h];
	unsigned from = o->state;
	if (is_pending(from) && from != to)
		pend_unlink(oms, h);
	if (is_pending(to) && from != to)
		pend_append(oms, h, now_ns);
	if (to == S_UNK && from != S_UNK)
		o->prev_state = (uint8_t)from;
	o->state = (uint8_t)to;
	if (is_terminal(to) && !is_terminal(from))
		term_append(oms, h);
	oms->cnt.transitions++;
}

static int apply(struct ps_oms *oms, uint32_t h, unsigned event, uint32_t qty, uint64_t now_ns)
{
	struct ps_oms_order *o = &oms->orders[h];
	unsigned to = next_state[o->state][event];
	if (ps_unlikely(to == PS_OMS_NEXT_ILLEGAL))
		return refuse(oms, h, o->token, event, PS_ESTATE, qty, now_ns);
	if (to == PS_OMS_NEXT_WORKING)
		to = o->filled ? S_PART : S_NEW;
	else if (to == PS_OMS_NEXT_PREV)
		to = o->prev_state;
	set_state(oms, h, to, now_ns);
	return 0;
}

int ps_oms_apply(struct ps_oms *oms, uint32_t h, unsigned event, uint64_t now_ns)
{
	if (h >= oms->capacity || oms->orders[h].state == PS_OMS_STATE_FREE ||
	    event >= PS_OMS_EV_COUNT)
		return -EINVAL;
	return apply(oms, h, event, 0, now_ns);
}

/* ---- requests ------------------------------------------------------------ */

static int alloc_slot(struct ps_oms *oms, uint32_t *h)
{
	if (ps_unlikely(oms->token_next > oms->token_max))
		return PS_EOVERFLOW;
	uint32_t i = oms->free_head;
	if (i != PS_OMS_NIL) {
		oms->free_head = oms->orders[i].next;
	} else {
		i = oms->term_head;
		if (i == PS_OMS_NIL)
			return PS_EFULL;
		oms->term_head = oms->orders[i].next;
		if (oms->term_head == PS_OMS_NIL)
			oms->term_tail = PS_OMS_NIL;
		hash_remove(oms, i);
		/* A recycled replacement pair must not point at a reused slot. */
		uint32_t l = oms->orders[i].link;
		if (l != PS_OMS_NIL && oms->orders[l].link == i)
			oms->orders[l].link = PS_OMS_NIL;
		oms->cnt.recycled++;
		oms->live--;
	}
	struct ps_oms_order *o = &oms->orders[i];
	memset(o, 0, sizeof(*o));
	o->link = o->pend_prev = o->pend_next = o->next = PS_OMS_NIL;
	memcpy(o->token, oms->token_text, PS_OUCH_TOKEN_LEN);
	/* Increment the ASCII counter in place: usually one digit changes. */
	oms->token_next++;
	for (int d = PS_OUCH_TOKEN_LEN - 1; d >= oms->prefix_len; d--) {
		if (oms->token_text[d] != '9') {
			oms->token_text[d]++;
			break;
		}
		oms->token_text[d] = '0';
	}
	hash_insert(oms, i);
	oms->live++;
	*h = i;
	return 0;
}

uint32_t ps_oms_prefetch_next(const struct ps_oms *oms)
{
	uint32_t i = oms->free_head != PS_OMS_NIL ? oms->free_head : oms->term_head;

	if (i == PS_OMS_NIL)
		return PS_OMS_NIL;
	const struct ps_oms_order *o = &oms->orders[i];
	__builtin_prefetch(o, 1, 3);
	__builtin_prefetch((const char *)(o + 1) - 1, 1, 3);
	__builtin_prefetch(&oms->hash[token_hash(oms, oms->token_text)], 1, 3);
	if (i != oms->free_head) /* a recycled slot leaves its old token's bucket */
		__builtin_prefetch(&oms->hash[token_hash(oms, o->token)], 1, 3);
	return i;
}

int ps_oms_order_new(struct ps_oms *oms, const struct ps_oms_new *req, uint64_t now_ns, uint32_t *h)
{
	if (ps_unlikely(req->qty == 0 || req->price < 0 || req->price > (int64_t)UINT32_MAX))
		return -EINVAL;
	uint32_t i;
	int rc = alloc_slot(oms, &i);
	if (ps_unlikely(rc))
		return rc;
	struct ps_oms_order *o = &oms->orders[i];
	o->price = req->price;
	o->qty = req->qty;
	o->instrument = req->instrument;
	o->strategy_id = req->strategy_id;
	o->side = req->side;
	o->tif = req->tif;
	o->state = S_PNEW;
	pend_append(oms, i, now_ns);
	oms->cnt.orders++;
	*h = i;
	return 0;
}

int ps_oms_order_cancel(struct ps_oms *oms, uint32_t h, uint64_t now_ns)
{
	return ps_oms_apply(oms, h, PS_OMS_EV_CANCEL_REQ, now_ns);
}

int ps_oms_order_replace(struct ps_oms *oms, uint32_t h, int64_t price, uint32_t qty,
			 uint64_t now_ns, uint32_t *new_h)
{
	if (h >= oms->capacity || oms->orders[h].state == PS_OMS_STATE_FREE || qty == 0 ||
	    price < 0 || price > (int64_t)UINT32_MAX)
		return -EINVAL;
	if (next_state[oms->orders[h].state][PS_OMS_EV_REPLACE_REQ] == PS_OMS_NEXT_ILLEGAL)
		return refuse(oms, h, oms->orders[h].token, PS_OMS_EV_REPLACE_REQ, PS_ESTATE, qty,
			      now_ns);
	/* The original must not be recycled by the allocation below: it is
	 * live (NEW or PARTIALLY_FILLED), and only terminal slots are reused. */
	uint32_t r;
	int rc = alloc_slot(oms, &r);
	if (rc)
		return rc;
	struct ps_oms_order *o = &oms->orders[h];
	struct ps_oms_order *n = &oms->orders[r];
	n->price = price;
	n->qty = qty;
	n->instrument = o->instrument;
	n->strategy_id = o->strategy_id;
	n->side = o->side;
	n->tif = o->tif;
	n->state = S_PNEW;
	n->link = h;
	pend_append(oms, r, now_ns);
	o->link = r;
	apply(oms, h, PS_OMS_EV_REPLACE_REQ, 0, now_ns);
	oms->cnt.orders++;
	*new_h = r;
	return 0;
}

uint32_t ps_oms_mass_cancel(struct ps_oms *oms, uint32_t instrument, uint32_t *out, uint32_t cap,
			    uint64_t now_ns)
{
	uint32_t n = 0;
	for (uint32_t h = 0; h < oms->capacity && n < cap; h++) {
		struct ps_oms_order *o = &oms->orders[h];
		if (o->state == PS_OMS_STATE_FREE || is_terminal(o->state))
			continue;
		if (instrument != PS_OMS_ALL_INSTRUMENTS && o->instrument != instrument)
			continue;
		if (next_state[o->state][PS_OMS_EV_CANCEL_REQ] == PS_OMS_NEXT_ILLEGAL)
			continue;
		apply(oms, h, PS_OMS_EV_CANCEL_REQ, 0, now_ns);
		out[n++] = h;
	}
	return n;
}

/* ---- venue answers ------------------------------------------------------- */

static inline uint32_t lookup(struct ps_oms *oms, const char *token, unsigned event, uint32_t qty,
			      uint64_t now_ns)
{
	uint32_t h = ps_oms_find(oms, token);
	if (ps_unlikely(h == PS_OMS_NIL))
		refuse(oms, PS_OMS_NIL, token, event, PS_ENOTFOUND, qty, now_ns);
	return h;
}

int ps_oms_on_accepted(struct ps_oms *oms, const char *token, uint64_t order_ref, uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_ACCEPTED, 0, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	int rc = apply(oms, h, PS_OMS_EV_ACCEPTED, 0, now_ns);
	if (rc == 0)
		oms->orders[h].venue_ref = order_ref;
	return rc;
}

int ps_oms_on_rejected(struct ps_oms *oms, const char *token, uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_REJECTED, 0, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	int rc = apply(oms, h, PS_OMS_EV_REJECTED, 0, now_ns);
	/* A rejected replacement gives the original back its working state. */
	uint32_t l = oms->orders[h].link;
	if (rc == 0 && l != PS_OMS_NIL && oms->orders[l].link == h &&
	    oms->orders[l].state == S_PREP)
		apply(oms, l, PS_OMS_EV_REPLACE_REJECT, 0, now_ns);
	return rc;
}

int ps_oms_on_executed(struct ps_oms *oms, const char *token, uint32_t shares, int64_t price,
		       uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_FILL_PARTIAL, shares, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	struct ps_oms_order *o = &oms->orders[h];
	uint32_t open = o->qty - o->filled;
	if (ps_unlikely(shares > open))
		return refuse(oms, h, token, PS_OMS_EV_FILL_PARTIAL, PS_EOVERFLOW, shares, now_ns);
	if (ps_unlikely(shares == 0))
		return refuse(oms, h, token, PS_OMS_EV_FILL_PARTIAL, PS_EMISMATCH, 0, now_ns);
	unsigned ev = shares == open ? PS_OMS_EV_FILL_FULL : PS_OMS_EV_FILL_PARTIAL;
	int64_t add;
	int64_t sum;
	if (ps_unlikely(__builtin_mul_overflow((int64_t)shares, price, &add) ||
			__builtin_add_overflow(o->notional, add, &sum)))
		return refuse(oms, h, token, ev, PS_EOVERFLOW, shares, now_ns);
	int rc = apply(oms, h, ev, shares, now_ns);
	if (rc == 0) {
		o->filled += shares;
		o->cum += shares;
		o->notional = sum;
	}
	return rc;
}

int ps_oms_on_canceled(struct ps_oms *oms, const char *token, uint32_t decrement, uint8_t reason,
		       uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_CANCELED, decrement, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	struct ps_oms_order *o = &oms->orders[h];
	uint32_t open = o->qty - o->filled;
	if (ps_unlikely(decrement > open))
		return refuse(oms, h, token, PS_OMS_EV_CANCELED, PS_EMISMATCH, decrement, now_ns);
	unsigned ev;
	if (decrement < open)
		ev = PS_OMS_EV_REDUCED;
	else if (reason == 'I' || reason == 'T')
		ev = PS_OMS_EV_EXPIRE;
	else
		ev = PS_OMS_EV_CANCELED;
	int rc = apply(oms, h, ev, decrement, now_ns);
	if (rc == 0)
		o->qty -= decrement;
	return rc;
}

int ps_oms_on_replaced(struct ps_oms *oms, const char *new_token, const char *prev_token,
		       uint32_t shares, uint64_t order_ref, uint64_t now_ns)
{
	uint32_t r = lookup(oms, new_token, PS_OMS_EV_ACCEPTED, shares, now_ns);
	if (r == PS_OMS_NIL)
		return PS_ENOTFOUND;
	uint32_t h = lookup(oms, prev_token, PS_OMS_EV_REPLACED, shares, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	struct ps_oms_order *n = &oms->orders[r];
	/* Check both before changing either, so a refusal changes nothing. */
	if (next_state[n->state][PS_OMS_EV_ACCEPTED] == PS_OMS_NEXT_ILLEGAL)
		return refuse(oms, r, new_token, PS_OMS_EV_ACCEPTED, PS_ESTATE, shares, now_ns);
	if (next_state[oms->orders[h].state][PS_OMS_EV_REPLACED] == PS_OMS_NEXT_ILLEGAL)
		return refuse(oms, h, prev_token, PS_OMS_EV_REPLACED, PS_ESTATE, shares, now_ns);
	apply(oms, h, PS_OMS_EV_REPLACED, shares, now_ns);
	apply(oms, r, PS_OMS_EV_ACCEPTED, shares, now_ns);
	n->qty = shares;
	/* The replacement carries the original's executions (FIX CumQty), the
	 * ones that came while the replace was in flight included. */
	n->cum = oms->orders[h].cum;
	n->venue_ref = order_ref;
	return 0;
}

static int token_event(struct ps_oms *oms, const char *token, unsigned ev, uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, ev, 0, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	return apply(oms, h, ev, 0, now_ns);
}

int ps_oms_on_cancel_pending(struct ps_oms *oms, const char *token, uint64_t now_ns)
{
	return token_event(oms, token, PS_OMS_EV_CANCEL_PENDING, now_ns);
}

int ps_oms_on_cancel_reject(struct ps_oms *oms, const char *token, uint64_t now_ns)
{
	return token_event(oms, token, PS_OMS_EV_CANCEL_REJECT, now_ns);
}

int ps_oms_on_modified(struct ps_oms *oms, const char *token, uint8_t side, uint32_t shares,
		       uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_MODIFIED, shares, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	struct ps_oms_order *o = &oms->orders[h];
	/* Order Modified carries the shares now open. */
	if (ps_unlikely(shares > o->qty - o->filled))
		return refuse(oms, h, token, PS_OMS_EV_MODIFIED, PS_EMISMATCH, shares, now_ns);
	int rc = apply(oms, h, PS_OMS_EV_MODIFIED, shares, now_ns);
	if (rc == 0) {
		o->side = side;
		o->qty = o->filled + shares;
	}
	return rc;
}

int ps_oms_on_broken(struct ps_oms *oms, const char *token, uint64_t now_ns)
{
	uint32_t h = lookup(oms, token, PS_OMS_EV_FILL_PARTIAL, 0, now_ns);
	if (h == PS_OMS_NIL)
		return PS_ENOTFOUND;
	oms->cnt.broken_trades++;
	/* Recorded for reconciliation; state and fills are left as they are. */
	record(oms, h, token, PS_OMS_EV_FILL_PARTIAL, PS_EMISMATCH, 0, now_ns);
	return 0;
}

int ps_oms_on_ouch(struct ps_oms *oms, const struct ps_ouch_msg *m, uint64_t now_ns)
{
	switch (m->type) {
	case PS_OUCH_ACCEPTED:
		return ps_oms_on_accepted(oms, m->u.accepted.token, m->u.accepted.order_ref,
					  now_ns);
	case PS_OUCH_REPLACED:
		return ps_oms_on_replaced(oms, m->u.accepted.token, m->u.accepted.previous_token,
					  m->u.accepted.shares, m->u.accepted.order_ref, now_ns);
	case PS_OUCH_EXECUTED:
		return ps_oms_on_executed(oms, m->u.executed.token, m->u.executed.shares,
					  m->u.executed.price, now_ns);
	case PS_OUCH_CANCELED:
	case PS_OUCH_AIQ_CANCELED:
		return ps_oms_on_canceled(oms, m->u.canceled.token, m->u.canceled.decrement_shares,
					  m->u.canceled.reason, now_ns);
	case PS_OUCH_REJECTED:
		return ps_oms_on_rejected(oms, m->u.token_event.token, now_ns);
	case PS_OUCH_CANCEL_PENDING:
		return ps_oms_on_cancel_pending(oms, m->u.token_event.token, now_ns);
	case PS_OUCH_CANCEL_REJECT:
		return ps_oms_on_cancel_reject(oms, m->u.token_event.token, now_ns);
	case PS_OUCH_ORDER_MODIFIED:
		return ps_oms_on_modified(oms, m->u.modified.token, m->u.modified.side,
					  m->u.modified.shares, now_ns);
	case PS_OUCH_BROKEN_TRADE:
		return ps_oms_on_broken(oms, m->u.broken.token, now_ns);
	case PS_OUCH_SYSTEM_EVENT:
	case PS_OUCH_PRIORITY_UPDATE:
		return 0;
	default:
		return PS_EUNKNOWN_MSG;
	}
}

/* ---- timeouts and sessions ----------------------------------------------- */

uint32_t ps_oms_poll_timeouts(struct ps_oms *oms, uint64_t now_ns, uint32_t *out, uint32_t cap)
{
	uint32_t n = 0;
	while (n < cap && oms->pend_head != PS_OMS_NIL &&
	       oms->orders[oms->pend_head].deadline_ns <= now_ns) {
		uint32_t h = oms->pend_head;
		apply(oms, h, PS_OMS_EV_TIMEOUT, 0, now_ns);
		oms->cnt.timeouts++;
		out[n++] = h;
	}
	return n;
}

uint32_t ps_oms_on_disconnect(struct ps_oms *oms, uint64_t now_ns)
{
	uint32_t n = 0;
	for (uint32_t h = 0; h < oms->capacity; h++) {
		unsigned s = oms->orders[h].state;
		if (s == PS_OMS_STATE_FREE || is_terminal(s) || s == S_UNK)
			continue;
		apply(oms, h, PS_OMS_EV_DISCONNECT, 0, now_ns);
		n++;
	}
	return n;
}

uint32_t ps_oms_on_reconnect(struct ps_oms *oms, uint64_t now_ns, uint32_t *out, uint32_t cap)
{
	uint32_t n = 0;
	for (uint32_t h = 0; h < oms->capacity; h++) {
		if (oms->orders[h].state != S_UNK)
			continue;
		if (oms->cod_policy == PS_OMS_COD_RESUME) {
			apply(oms, h, PS_OMS_EV_RESUME, 0, now_ns);
			continue;
		}
		if (n == cap)
			break;
		apply(oms, h, PS_OMS_EV_CANCEL_REQ, 0, now_ns);
		out[n++] = h;
	}
	return n;
}

int ps_oms_token_seek(struct ps_oms *oms, uint64_t counter)
{
	if (counter > oms->token_max)
		return PS_EOVERFLOW;
	oms->token_next = counter;
	token_format(oms, counter);
	return 0;
}
