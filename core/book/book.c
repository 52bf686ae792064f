/*
 * Cold path of the L3 book: sizing, init, clear, stats, diagnostics and the
 * invariant check. The hot path is static inline in <ps/book.h>.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/alloc.h>
#include <ps/book.h>

#define ALIGN_UP(x) (((x) + (size_t)PS_CACHE_LINE - 1) & ~((size_t)PS_CACHE_LINE - 1))

/* Every piece of the block starts on its own cache line: a book's keys, a
 * pool's first entries and the hash slots never share a line. */
struct layout {
	size_t books;
	size_t pool;
	size_t slots;
	size_t per_side; /* ladder (with its pads) + levels of one side */
	size_t ladder, levels;
	size_t total;
	uint32_t slot_count;
};

static bool config_ok(const struct ps_book_config *cfg)
{
	return cfg && cfg->instrument_count >= 1 && cfg->max_orders >= 1 &&
	       cfg->max_orders <= PS_BOOK_MAX_ORDERS && cfg->max_levels >= 1 &&
	       cfg->max_levels <= PS_BOOK_MAX_LEVELS;
}

static void layout_of(const struct ps_book_config *cfg, struct layout *l)
{
	/* At least 2x max_orders slots: linear probing stays short below half
	 * load, and ps_book__find relies on an empty slot existing. */
	uint32_t slots = 16;

	while (slots < 2 * (uint64_t)cfg->max_orders)
		slots <<= 1;
	l->slot_count = slots;
	l->books = ALIGN_UP(sizeof(struct ps_book) * (size_t)cfg->instrument_count);
	l->pool = ALIGN_UP(sizeof(struct ps_book_order) * (size_t)cfg->max_orders);
	l->slots = ALIGN_UP(sizeof(struct ps_book_slot) * (size_t)slots);
	l->ladder = ALIGN_UP(sizeof(int64_t) * ((size_t)cfg->max_levels + 2 * PS_BOOK__PAD));
	l->levels = ALIGN_UP(sizeof(struct ps_book_level) * (size_t)cfg->max_levels);
	l->per_side = l->ladder + l->levels;
	l->total = l->books + l->pool + l->slots + 2 * l->per_side * (size_t)cfg->instrument_count;
}

size_t ps_book_set_memsize(const struct ps_book_config *cfg)
{
	struct layout l;

	if (!config_ok(cfg))
		return 0;
	layout_of(cfg, &l);
	return l.total;
}

static void side_reset(struct ps_book_side *s, uint32_t max_levels)
{
	/* The pad below index 0 is below every entry (see ps_book__side_find);
	 * the ladder itself and the pad above hold whatever moves left there. */
	for (int64_t i = -(int64_t)PS_BOOK__PAD; i < (int64_t)max_levels + PS_BOOK__PAD; i++)
		s->ladder[i] = INT64_MIN;
	s->count = 0;
	for (uint32_t i = 0; i < max_levels; i++)
		s->levels[i].head = i + 1 < max_levels ? i + 1 : PS_BOOK_NIL;
	s->free_head = 0;
}

int ps_book_set_init(struct ps_book_set *set, void *mem, const struct ps_book_config *cfg)
{
	struct layout l;

	if (!set || !mem || !config_ok(cfg) || ((uintptr_t)mem & (PS_CACHE_LINE - 1)))
		return -EINVAL;
	layout_of(cfg, &l);
	memset(set, 0, sizeof(*set));
	uint8_t *p = mem;
	set->books = (struct ps_book *)p;
	p += l.books;
	set->orders.pool = (struct ps_book_order *)p;
	p += l.pool;
	set->orders.slots = (struct ps_book_slot *)p;
	p += l.slots;
	set->book_count = cfg->instrument_count;
	set->max_levels = cfg->max_levels;
	set->mem = mem;

	struct ps_book_orders *t = &set->orders;
	t->mask = l.slot_count - 1;
	t->shift = 32u - (uint32_t)__builtin_ctz(l.slot_count);
	t->capacity = cfg->max_orders;
	t->live = 0;
	for (uint32_t i = 0; i < l.slot_count; i++) {
		t->slots[i].tag = 0;
		t->slots[i].order = PS_BOOK_NIL;
	}
	for (uint32_t i = 0; i < cfg->max_orders; i++) {
		memset(&t->pool[i], 0, sizeof(t->pool[i]));
		t->pool[i].next = i + 1 < cfg->max_orders ? i + 1 : PS_BOOK_NIL;
	}
	t->free_head = 0;

	for (uint32_t b = 0; b < cfg->instrument_count; b++) {
		struct ps_book *book = &set->books[b];

		memset(book, 0, sizeof(*book));
		book->orders = t;
		book->instrument = b;
		book->max_levels = cfg->max_levels;
		for (int s = 0; s < 2; s++) {
			book->side[s].ladder = (int64_t *)p + PS_BOOK__PAD;
			book->side[s].levels = (struct ps_book_level *)(p + l.ladder);
			p += l.per_side;
			side_reset(&book->side[s], cfg->max_levels);
		}
	}
	return 0;
}

void ps_book_set_fini(struct ps_book_set *set)
{
	if (!set)
		return;
#ifndef NDEBUG
	memset(set, 0xff, sizeof(*set));
#else
	set->books = NULL;
	set->book_count = 0;
#endif
}

int ps_book_set_create(struct ps_book_set **out, const struct ps_book_config *cfg)
{
	struct ps_book_set *set;
	void *mem;
	int rc;

	if (!out || !config_ok(cfg))
		return -EINVAL;
	set = ps_alloc(sizeof(*set));
	if (!set)
		return -ENOMEM;
	mem = ps_alloc_hot(ps_book_set_memsize(cfg));
	if (!mem) {
		rc = -ENOMEM;
		goto err_set;
	}
	rc = ps_book_set_init(set, mem, cfg);
	if (rc)
		goto err_mem;
	set->owned = true;
	*out = set;
	return 0;
err_mem:
	ps_free(mem);
err_set:
	ps_free(set);
	return rc;
}

void ps_book_set_destroy(struct ps_book_set *set)
{
	if (!set)
		return;
	void *mem = set->owned ? set->mem : NULL;

	ps_book_set_fini(set);
	ps_free(mem);
	ps_free(set);
}

void ps_book_clear(struct ps_book *book)
{
	struct ps_book_orders *t = book->orders;

	for (int s = 0; s < 2; s++) {
		struct ps_book_side *side = &book->side[s];

		for (uint32_t i = 0; i < side->count; i++) {
			uint32_t oi = side->levels[ps_book__handle(side->ladder[i])].head;

			while (oi != PS_BOOK_NIL) {
				struct ps_book_order *o = &t->pool[oi];
				uint32_t next = o->next;
				uint32_t slot;

				ps_book__find(t, o->id, ps_book__tag(o->id), &slot);
				ps_book__slot_delete(t, slot);
				o->next = t->free_head;
				t->free_head = oi;
				t->live--;
				oi = next;
			}
		}
		side_reset(side, book->max_levels);
	}
}

int ps_book_level_reset(struct ps_book *book, enum ps_side side, int64_t price, uint32_t qty)
{
	struct ps_book_orders *t = book->orders;
	struct ps_book_side *s;
	bool found;
	uint32_t pos;

	if ((unsigned)side > PS_SIDE_SELL)
		return ps_book__fail(book, -EINVAL, PS_BOOK_OP_ANONYMOUS, 0, side, price, qty);
	s = &book->side[side];
	found = false;
	pos = 0;
	if (ps_book__price_ok(price))
		pos = ps_book__side_find(s, ps_book__key(side, price), &found);
	if (found) {
		uint32_t h = ps_book__handle(s->ladder[pos]);
		struct ps_book_level *l = &s->levels[h];
		uint32_t n = l->order_count;

		/* Anonymous size first, so that the level goes with its last
		 * order (ps_book__order_remove frees it: l is not read after). */
		l->qty -= l->anon_qty;
		l->anon_qty = 0;
		if (n == 0)
			ps_book__level_remove(book, side, h);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t oi = l->head;
			uint32_t slot;

			ps_book__find(t, t->pool[oi].id, ps_book__tag(t->pool[oi].id), &slot);
			ps_book__order_remove(book, oi, slot);
		}
	}
	if (qty == 0)
		return 0;
	return ps_book_add_anonymous(book, side, price, qty);
}

static void stats_add(struct ps_book_stats *dst, const struct ps_book_stats *src)
{
	dst->unknown_id += src->unknown_id;
	dst->duplicate_id += src->duplicate_id;
	dst->crossed += src->crossed;
	dst->negative_qty += src->negative_qty;
	dst->full += src->full;
	dst->invalid += src->invalid;
	dst->unknown_instrument += src->unknown_instrument;
}

void ps_book_set_stats(const struct ps_book_set *set, struct ps_book_stats *out)
{
	memset(out, 0, sizeof(*out));
	stats_add(out, &set->stats);
	for (uint32_t b = 0; b < set->book_count; b++)
		stats_add(out, &set->books[b].stats);
}

uint64_t ps_book_stats_total(const struct ps_book_stats *st)
{
	return st->unknown_id + st->duplicate_id + st->crossed + st->negative_qty + st->full +
	       st->invalid + st->unknown_instrument;
}

static void diag_record(struct ps_book_diag *d, int err, enum ps_book_op op, uint32_t instrument,
			uint64_t id, unsigned side, int64_t price, uint32_t qty)
{
	d->count++;
	d->err = err;
	d->op = (uint8_t)op;
	d->instrument = instrument;
	d->order_id = id;
	d->side = (uint8_t)side;
	d->price = price;
	d->qty = qty;
}

int ps_book__fail(struct ps_book *book, int err, enum ps_book_op op, uint64_t id, unsigned side,
		  int64_t price, uint32_t qty)
{
	struct ps_book_stats *st = &book->stats;

	switch (err) {
	case PS_ENOTFOUND:
		st->unknown_id++;
		break;
	case PS_EDUPLICATE:
		st->duplicate_id++;
		break;
	case PS_ECROSSED:
		st->crossed++;
		break;
	case -ERANGE:
		st->negative_qty++;
		break;
	case PS_EFULL:
		st->full++;
		break;
	default:
		st->invalid++;
		break;
	}
	diag_record(&book->diag, err, op, book->instrument, id, side, price, qty);
	return err;
}

int ps_book__add_crossed(struct ps_book *b, uint64_t id, enum ps_side side, int64_t price,
			 uint32_t qty)
{
	int rc = ps_book__add(b, id, side, price, qty);

	return rc ? rc : ps_book__fail(b, PS_ECROSSED, PS_BOOK_OP_ADD, id, side, price, qty);
}

int ps_book_set__fail_instrument(struct ps_book_set *set, uint32_t instrument, uint64_t id,
				 unsigned side, int64_t price, uint32_t qty)
{
	set->stats.unknown_instrument++;
	diag_record(&set->diag, PS_ENOTFOUND, PS_BOOK_OP_APPLY, instrument, id, side, price, qty);
	return PS_ENOTFOUND;
}

static const char *op_name(unsigned op)
{
	static const char *const names[] = { "none",   "add",     "execute",   "cancel",
					     "delete", "replace", "anonymous", "apply" };

	return op < PS_ARRAY_SIZE(names) ? names[op] : "?";
}

int ps_book_diag_format(const struct ps_book_diag *d, char *buf, size_t len)
{
	if (d->count == 0)
		return snprintf(buf, len, "no errors");
	return snprintf(buf, len,
			"%llu errors; last: %s (%d) on %s instrument %u order %llu side %s "
			"price %lld qty %u",
			(unsigned long long)d->count, ps_strerror(d->err), d->err, op_name(d->op),
			d->instrument, (unsigned long long)d->order_id,
			d->side == PS_SIDE_BUY ? "buy" : "sell", (long long)d->price, d->qty);
}

static int validate_side(const struct ps_book *book, unsigned side, uint64_t *orders)
{
	const struct ps_book_side *s = &book->side[side];
	const struct ps_book_orders *t = book->orders;

	if (s->count > book->max_levels)
		return -EPROTO;
	for (uint32_t i = 0; i < s->count; i++) {
		const struct ps_book_level *l;
		uint64_t sum = 0;
		uint32_t n = 0, prev = PS_BOOK_NIL;

		uint32_t h = ps_book__handle(s->ladder[i]);

		if (i > 0 && s->ladder[i - 1] >= s->ladder[i])
			return -EPROTO;
		if (h >= book->max_levels)
			return -EPROTO;
		l = &s->levels[h];
		if (ps_book__key(side, l->price) * 65536 + h != s->ladder[i] || l->qty == 0)
			return -EPROTO;
		for (uint32_t oi = l->head; oi != PS_BOOK_NIL; oi = t->pool[oi].next) {
			const struct ps_book_order *o = &t->pool[oi];
			uint32_t slot;

			if (oi >= t->capacity || o->prev != prev || o->qty == 0 ||
			    o->book != book->instrument || o->side != side || o->level != h ||
			    ++n > l->order_count)
				return -EPROTO;
			if (ps_book__find(t, o->id, ps_book__tag(o->id), &slot) != oi)
				return -EPROTO;
			sum += o->qty;
			prev = oi;
		}
		if (prev != l->tail || n != l->order_count || sum + l->anon_qty != l->qty)
			return -EPROTO;
		*orders += n;
	}
	return 0;
}

int ps_book_validate(const struct ps_book *book)
{
	uint64_t orders = 0;
	int rc = validate_side(book, PS_SIDE_BUY, &orders);

	if (rc == 0)
		rc = validate_side(book, PS_SIDE_SELL, &orders);
	if (rc == 0 && orders > book->orders->live)
		rc = -EPROTO;
	return rc;
}
