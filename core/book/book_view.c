/*
 * Top-N snapshots and the refill/compare oracle (see <ps/book_view.h>).
 */
#include <stdio.h>
#include <string.h>

#include <ps/book_view.h>

void ps_book_view_get(const struct ps_book *book, struct ps_book_view *v)
{
	uint32_t n = PS_MIN(v->levels, (uint32_t)PS_BOOK_VIEW_MAX_LEVELS);

	for (unsigned s = 0; s < 2; s++) {
		uint32_t k = ps_book_top(book, (enum ps_side)s, n, v->side[s]);

		memset(&v->side[s][k], 0, (PS_BOOK_VIEW_MAX_LEVELS - k) * sizeof(v->side[s][0]));
	}
}

bool ps_book_view_equal(const struct ps_book_view *a, const struct ps_book_view *b)
{
	uint32_t n = PS_MIN(a->levels, b->levels);

	n = PS_MIN(n, (uint32_t)PS_BOOK_VIEW_MAX_LEVELS);
	for (unsigned s = 0; s < 2; s++) {
		for (uint32_t i = 0; i < n; i++) {
			const struct ps_book_level_view *x = &a->side[s][i], *y = &b->side[s][i];

			if (x->qty != y->qty || (x->qty != 0 && x->price != y->price))
				return false;
		}
	}
	return true;
}

static bool view_has(const struct ps_book_view *v, unsigned side, int64_t price)
{
	uint32_t n = PS_MIN(v->levels, (uint32_t)PS_BOOK_VIEW_MAX_LEVELS);

	for (uint32_t i = 0; i < n; i++)
		if (v->side[side][i].qty != 0 && v->side[side][i].price == price)
			return true;
	return false;
}

static bool touched(const struct ps_md_event *ev, unsigned side, int64_t price)
{
	if (!ev || ev->type < PS_MD_ADD || ev->type > PS_MD_REPLACE)
		return false;
	return ev->side == side && ev->price == price;
}

int ps_book_view_refill(struct ps_book *book, const struct ps_book_view *expected,
			const struct ps_book_view *prev, const struct ps_md_event *last,
			uint64_t *refills, uint64_t *drops)
{
	uint32_t n = PS_MIN(expected->levels, (uint32_t)PS_BOOK_VIEW_MAX_LEVELS);
	uint64_t count = 0, dropped = 0;
	int first = 0;

	for (unsigned s = 0; s < 2; s++) {
		enum ps_side side = (enum ps_side)s;

		/* Levels that came into view: take their size from expected. */
		for (uint32_t i = 0; i < n; i++) {
			const struct ps_book_level_view *l = &expected->side[s][i];

			if (l->qty == 0 || (prev && view_has(prev, s, l->price)) ||
			    touched(last, s, l->price))
				continue;
			/* Reset even when the remembered size agrees: the orders
			 * that make it up may have changed out of view (a 100-share
			 * order cancelled, another added), and the next event on
			 * the real one must find anonymous size, not a ghost. */
			/* Sizes past 2^32-1 shares cannot be anonymous size: rejected as -EINVAL. */
			int rc = ps_book_level_reset(book, side, l->price,
						     l->qty > UINT32_MAX ? 0 : (uint32_t)l->qty);
			if (rc == 0 || rc == PS_ECROSSED)
				count++;
			if (rc && !first)
				first = rc;
		}
		/* Remembered levels that are no longer there. Each removal pulls
		 * the next level into the top n, so look again from the start. */
		for (uint32_t i = 0; i < n;) {
			struct ps_book_level_view top[PS_BOOK_VIEW_MAX_LEVELS];
			uint32_t k = ps_book_top(book, side, n, top);

			if (i >= k)
				break;
			int64_t p = top[i].price;
			if ((prev && view_has(prev, s, p)) || view_has(expected, s, p) ||
			    touched(last, s, p)) {
				i++;
				continue;
			}
			ps_book_level_reset(book, side, p, 0);
			dropped++;
		}
	}
	if (refills)
		*refills += count;
	if (drops)
		*drops += dropped;
	return first;
}

int ps_book_view_format(const struct ps_book_view *v, char *buf, size_t len)
{
	static const char *const names[2] = { "bid", "ask" };
	size_t off = 0;
	int total = 0;
	uint32_t n = PS_MIN(v->levels, (uint32_t)PS_BOOK_VIEW_MAX_LEVELS);

	for (unsigned s = 0; s < 2; s++) {
		int w = snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0, "%s%s",
				 s ? " | " : "", names[s]);

		total += w;
		off += (size_t)w;
		for (uint32_t i = 0; i < n; i++) {
			const struct ps_book_level_view *l = &v->side[s][i];

			if (l->qty == 0)
				w = snprintf(off < len ? buf + off : NULL,
					     off < len ? len - off : 0, " -");
			else
				w = snprintf(off < len ? buf + off : NULL,
					     off < len ? len - off : 0, " %llu@%lld",
					     (unsigned long long)l->qty, (long long)l->price);
			total += w;
			off += (size_t)w;
		}
	}
	return total;
}
