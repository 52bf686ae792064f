/*
 * ps_config_load_string on arbitrary text: loads or fails with a message,
 * never crashes or leaks; a loaded config survives every getter and check.
 */
#include <ps/config.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct ps_config *c = NULL;
	char err[256];
	if (ps_config_load_string(&c, text, "fuzz", err, sizeof(err)) == 0) {
		struct ps_config_iter it = { 0 };
		const char *sec;
		while ((sec = ps_config_section_next(c, NULL, &it)) != NULL) {
			int64_t i;
			uint64_t u;
			bool b;
			double d;
			int e, cpus[8];
			uint32_t n;
			const char *s;
			static const char *const names[] = { "a", "b", NULL };
			ps_config_get_str(c, sec, "k", "", &s, err, sizeof(err));
			ps_config_get_int(c, sec, "k", 0, -5, 5, &i, err, sizeof(err));
			ps_config_get_uint(c, sec, "k", 0, 5, &u, err, sizeof(err));
			ps_config_get_bool(c, sec, "k", false, &b, err, sizeof(err));
			ps_config_get_double(c, sec, "k", 0, -1, 1, &d, err, sizeof(err));
			ps_config_get_fixed(c, sec, "k", 0, 4, &i, err, sizeof(err));
			ps_config_get_enum(c, sec, "k", names, 0, &e, err, sizeof(err));
			ps_config_get_cpulist(c, sec, "k", "", cpus, 8, &n, err, sizeof(err));
		}
		static const char *const keys[] = { "k", "x.*", NULL };
		static const struct ps_config_schema schema[] = { { "s", keys }, { "t.*", NULL } };
		ps_config_check(c, schema, 2, err, sizeof(err));
		ps_config_check_unused(c, err, sizeof(err));
		ps_config_destroy(c);
	}
	free(text);
	return 0;
}
