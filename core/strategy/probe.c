/*
 * Probe: the latency benchmark's strategy (perseus bench-e2e). On every
 * book update caused by an Add Order it sends one IOC limit order on the
 * same side, at the price of the added order and with its size (or a fixed
 * qty), so the benchmark's venue can tell from the order alone which market
 * data packet caused it and time the whole loop, wire to wire.
 *
 * It keeps no state that could hold an order back (no position target, no
 * in-flight limit, no cooldown): what the loop measures is the engine's
 * tick-to-trade path, nothing the strategy chose to wait for. Configure risk
 * so nothing is refused (see configs/bench-e2e-run.ini).
 *
 *	[strategy.probe]
 *	kind = probe
 *	symbol = PRSB
 *	qty = 0          ; 0: the size of the Add Order (default); else fixed shares
 */
#include <ps/config.h>

#include "strategy_internal.h"

struct probe {
	uint32_t qty; /* 0: echo the add's size */
	uint32_t next_tag;
};

static int probe_init(struct ps_strategy *s, struct ps_config *c, const char *sec, char *err,
		      size_t err_len)
{
	struct probe *p = s->state;
	int64_t v;
	int rc;

	if ((rc = ps_config_get_int(c, sec, "qty", 0, 0, 1000000, &v, err, err_len)))
		return rc;
	p->qty = (uint32_t)v;
	p->next_tag = 1;
	return 0;
}

static void probe_on_book(struct ps_strategy *s, const struct ps_book *book,
			  const struct ps_md_event *ev, struct ps_strategy_out *out)
{
	struct probe *p = s->state;
	struct ps_order_intent *it;

	(void)book;
	if (ev->type != PS_MD_ADD)
		return;
	it = ps_strategy_out_push(out);
	if (!it)
		return;
	*it = (struct ps_order_intent){
		.price = ev->price,
		.qty = p->qty ? p->qty : ev->qty,
		.confidence_bp = 10000,
		.action = PS_ORDER_NEW,
		.side = ev->side,
		.type = PS_ORDER_LIMIT,
		.tif = PS_TIF_IOC,
		.tag = p->next_tag,
	};
	/* Tags only name orders for CANCEL/REPLACE, which the probe never sends;
	 * distinct tags keep reports apart. 0 is skipped (no tag). */
	p->next_tag = p->next_tag == UINT32_MAX ? 1 : p->next_tag + 1;
}

const struct ps_strategy_ops ps_strategy_probe_ops = {
	.kind = "probe",
	.state_len = sizeof(struct probe),
	.init = probe_init,
	.on_book = probe_on_book,
};
