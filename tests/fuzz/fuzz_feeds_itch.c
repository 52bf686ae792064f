/*
 * libFuzzer target: BinaryFILE iteration over arbitrary bytes, each record
 * through the hot decoder and the full-view decoder; a record that decodes
 * must encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ps/binfile.h>
#include <ps/itch.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_binfile_reader r;
	struct ps_itch_stats st;
	const uint8_t *msg = NULL;
	size_t len = 0;
	int rc;

	ps_itch_stats_reset(&st);
	ps_binfile_reader_init_mem(&r, data, size);
	while ((rc = ps_binfile_next(&r, &msg, &len)) == 1) {
		struct ps_md_event ev;
		struct ps_itch_msg m;
		uint8_t out[PS_ITCH_MAX_LEN];
		int hot = ps_itch_decode(msg, len, &ev, &st);
		int full = ps_itch_msg_decode(&m, msg, len);

		/* both decoders agree on validity */
		if ((hot >= 0) != (full == 0))
			abort();
		if (full == 0) {
			int n = ps_itch_msg_encode(out, sizeof(out), &m);

			if (n != (int)len || memcmp(out, msg, len) != 0)
				abort();
		}
		if (r.off > r.len)
			abort();
	}
	if (rc < 0 && r.off >= r.len)
		abort();
	/* the raw input as one unframed message too */
	{
		struct ps_md_event ev;

		(void)ps_itch_decode(data, size, &ev, &st);
	}
	return 0;
}
