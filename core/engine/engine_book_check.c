/*
 * LOBSTER oracle replay for ps_book (see <ps/book_check.h>).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ps/book_check.h>
#include <ps/book_view.h>

/* Live orders and levels a LOBSTER day needs at most: the AMZN level-5 day
 * has 77,381 adds in all and a few hundred prices; PS_EFULL would be counted
 * (and reported) if a bigger day needed more. */
#define CHECK_MAX_ORDERS (1u << 18)
#define CHECK_MAX_LEVELS 4096u

bool ps_book_check_event(const struct ps_lobster_msg *m, uint32_t instrument,
			 struct ps_md_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->instrument = instrument;
	ev->order_id = m->order_id;
	ev->price = m->price;
	ev->qty = m->size;
	ev->venue_ts_ns = m->time_ns;
	ev->side = m->direction < 0 ? PS_SIDE_SELL : PS_SIDE_BUY;
	switch (m->type) {
	case PS_LOBSTER_SUBMIT:
		ev->type = PS_MD_ADD;
		return true;
	case PS_LOBSTER_CANCEL:
		ev->type = PS_MD_CANCEL;
		return true;
	case PS_LOBSTER_DELETE:
		ev->type = PS_MD_DELETE;
		return true;
	case PS_LOBSTER_EXECUTE:
		ev->type = PS_MD_EXECUTE;
		ev->flags = PS_MD_F_PRINTABLE;
		return true;
	default:
		return false;
	}
}

void ps_book_check_row_view(const struct ps_lobster_book_row *row, uint32_t levels,
			    struct ps_book_view *v)
{
	memset(v, 0, sizeof(*v));
	v->levels = PS_MIN(levels, row->levels);
	for (uint32_t i = 0; i < v->levels; i++) {
		if (row->bid_size[i] && row->bid_price[i] != PS_LOBSTER_EMPTY_BID) {
			v->side[PS_SIDE_BUY][i].price = row->bid_price[i];
			v->side[PS_SIDE_BUY][i].qty = row->bid_size[i];
		}
		if (row->ask_size[i] && row->ask_price[i] != PS_LOBSTER_EMPTY_ASK) {
			v->side[PS_SIDE_SELL][i].price = row->ask_price[i];
			v->side[PS_SIDE_SELL][i].qty = row->ask_size[i];
		}
	}
}

static void report_mismatch(FILE *f, uint64_t row, const struct ps_lobster_msg *m,
			    const struct ps_book_view *want, const struct ps_book_view *got)
{
	char a[1024], b[1024];

	ps_book_view_format(want, a, sizeof(a));
	ps_book_view_format(got, b, sizeof(b));
	fprintf(f,
		"mismatch at row %llu (message type %u id %llu size %u price %lld dir %d)\n"
		"  orderbook: %s\n  book:      %s\n",
		(unsigned long long)row, m->type, (unsigned long long)m->order_id, m->size,
		(long long)m->price, m->direction, a, b);
}

int ps_book_check_lobster(const struct ps_book_check_cfg *cfg, struct ps_book_check_result *res)
{
	static const struct ps_book_config book_cfg = { .instrument_count = 1,
							.max_orders = CHECK_MAX_ORDERS,
							.max_levels = CHECK_MAX_LEVELS };
	struct ps_lobster_reader rd;
	struct ps_book_set *set = NULL;
	struct ps_book_view want, got, prev;
	struct ps_md_event ev;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!cfg || !cfg->msg_path || !cfg->book_path || cfg->levels > PS_BOOK_VIEW_MAX_LEVELS)
		return -EINVAL;
	rc = ps_lobster_reader_open(&rd, cfg->msg_path, cfg->book_path);
	if (rc)
		return rc;
	rc = ps_book_set_create(&set, &book_cfg);
	if (rc)
		goto out_reader;
	struct ps_book *book = ps_book_set_get(set, 0);

	while ((rc = ps_lobster_reader_next(&rd)) == 1) {
		if (res->rows == 0) {
			res->levels = cfg->levels ? cfg->levels : rd.book.levels;
			if (res->levels > rd.book.levels) {
				rc = -EINVAL;
				goto out_set;
			}
		}
		res->rows++;
		ps_book_check_row_view(&rd.book, res->levels, &want);
		if (res->rows == 1) {
			/* Row 0: the pre-market book, as anonymous size; message 0 is in it. */
			ps_book_view_refill(book, &want, NULL, NULL, NULL, NULL);
			prev = want;
			continue;
		}
		const struct ps_md_event *last = NULL;
		if (ps_book_check_event(&rd.msg, 0, &ev)) {
			ps_book_apply(set, &ev);
			last = &ev;
		} else {
			res->skipped++;
		}
		ps_book_view_refill(book, &want, &prev, last, &res->refills, &res->drops);
		prev = want;
		got.levels = res->levels;
		ps_book_view_get(book, &got);
		if (!ps_book_view_equal(&want, &got)) {
			if (cfg->report && res->mismatches < cfg->max_report)
				report_mismatch(cfg->report, res->rows - 1, &rd.msg, &want, &got);
			res->mismatches++;
		}
	}
out_set:
	ps_book_set_stats(set, &res->errors);
	ps_book_set_destroy(set);
out_reader:
	ps_lobster_reader_close(&rd);
	return rc < 0 ? rc : 0;
}
