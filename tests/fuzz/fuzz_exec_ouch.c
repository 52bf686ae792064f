/*
 * OUCH 4.2 decoders (both directions): any input either is refused or
 * decodes to a message that re-encodes to exactly the input bytes. Decoded
 * venue messages are also fed to a small OMS, which must never crash and
 * must keep its counters consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ps/oms.h>
#include <ps/ouch.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ps_oms oms;
static uint8_t oms_mem[1 << 16];
static int oms_ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!oms_ready) {
		struct ps_oms_config cfg = {
			.capacity = 32, .token_start = 0, .token_prefix = "", .timeout_ns = 1000
		};
		if (ps_oms_memsize(&cfg) > sizeof(oms_mem) || ps_oms_init(&oms, oms_mem, &cfg) != 0)
			abort();
		oms_ready = 1;
	}
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	struct ps_ouch_msg m;
	uint8_t out[PS_OUCH_MAX_LEN];
	for (int inbound = 0; inbound < 2; inbound++) {
		int rc = inbound ? ps_ouch_decode_inbound(copy, size, &m)
				 : ps_ouch_decode_outbound(copy, size, &m);
		if (rc != 0) {
			if (rc != PS_ETRUNCATED && rc != PS_EBADLEN && rc != PS_EUNKNOWN_MSG)
				abort();
			continue;
		}
		size_t n = ps_ouch_encode(out, &m, inbound);
		if (n != size || memcmp(out, copy, size) != 0)
			abort();
		if (!inbound) {
			/* Keep a few live orders whose tokens the input may name. */
			uint32_t h;
			struct ps_oms_new req = { .price = 100, .qty = 1000, .side = 'B' };
			if (oms.live < 16)
				(void)ps_oms_order_new(&oms, &req, 0, &h);
			uint64_t before = oms.cnt.transitions + ps_oms_diag_total(&oms);
			(void)ps_oms_on_ouch(&oms, &m, 1);
			if (oms.cnt.transitions + ps_oms_diag_total(&oms) < before)
				abort();
			uint32_t t[8];
			(void)ps_oms_poll_timeouts(&oms, 5000, t, 8);
		}
	}
	free(copy);
	return 0;
}
