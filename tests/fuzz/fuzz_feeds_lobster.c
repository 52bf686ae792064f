/*
 * libFuzzer target: LOBSTER CSV rows. The input is split into lines by the
 * memory line source; each line goes through both row parsers.
 */
#include <stdint.h>
#include <stdlib.h>

#include <ps/lobster.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_lobster_src s;
	const char *line = NULL;
	size_t len = 0;
	int rc;

	ps_lobster_src_open_mem(&s, data, size);
	while ((rc = ps_lobster_src_next_line(&s, &line, &len)) == 1) {
		struct ps_lobster_msg m;
		struct ps_lobster_book_row b;

		if (ps_lobster_msg_parse(&m, line, len) == 0 && m.direction != 1 &&
		    m.direction != -1 && m.direction != 0)
			abort();
		if (ps_lobster_book_parse(&b, line, len) == 0 &&
		    (b.levels == 0 || b.levels > PS_LOBSTER_MAX_LEVELS))
			abort();
	}
	ps_lobster_src_close(&s);
	return 0;
}
