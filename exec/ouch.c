/*
 * OUCH 4.2: the generic encoder (tests, venue simulator) and the Enter
 * Order template set-up. The per-message codecs are inline in <ps/ouch.h>.
 */
#include <ps/ouch.h>

size_t ps_ouch_encode(uint8_t *out, const struct ps_ouch_msg *m, bool inbound)
{
	if (inbound) {
		switch (m->type) {
		case PS_OUCH_ENTER_ORDER:
			return ps_ouch_encode_enter_order(out, &m->u.enter);
		case PS_OUCH_REPLACE_ORDER:
			return ps_ouch_encode_replace_order(out, &m->u.replace);
		case PS_OUCH_CANCEL_ORDER:
			return ps_ouch_encode_cancel_order(out, m->u.cancel.token,
							   m->u.cancel.shares);
		case PS_OUCH_MODIFY_ORDER:
			return ps_ouch_encode_modify_order(out, &m->u.modify);
		default:
			return 0;
		}
	}
	switch (m->type) {
	case PS_OUCH_SYSTEM_EVENT:
		return ps_ouch_encode_system_event(out, m->u.system_event.timestamp_ns,
						   m->u.system_event.event_code);
	case PS_OUCH_ACCEPTED:
	case PS_OUCH_REPLACED:
		return ps_ouch_encode_accepted(out, m->type, &m->u.accepted);
	case PS_OUCH_CANCELED:
	case PS_OUCH_AIQ_CANCELED:
		return ps_ouch_encode_canceled(out, m->type, &m->u.canceled);
	case PS_OUCH_EXECUTED:
		return ps_ouch_encode_executed(out, &m->u.executed);
	case PS_OUCH_BROKEN_TRADE:
		return ps_ouch_encode_broken_trade(out, &m->u.broken);
	case PS_OUCH_REJECTED:
	case PS_OUCH_CANCEL_PENDING:
	case PS_OUCH_CANCEL_REJECT:
		return ps_ouch_encode_token_event(out, m->type, &m->u.token_event);
	case PS_OUCH_PRIORITY_UPDATE:
		return ps_ouch_encode_priority_update(out, &m->u.priority);
	case PS_OUCH_ORDER_MODIFIED:
		return ps_ouch_encode_order_modified(out, &m->u.modified);
	default:
		return 0;
	}
}

void ps_ouch_enter_tmpl_init(struct ps_ouch_enter_tmpl *t,
			     const struct ps_ouch_enter_order *defaults)
{
	memset(t->pkt, 0, sizeof(t->pkt));
	ps_soup_put_header(t->pkt, PS_SOUP_UNSEQUENCED, PS_OUCH_ENTER_ORDER_LEN);
	ps_ouch_encode_enter_order(t->pkt + PS_SOUP_HDR_LEN, defaults);
}
