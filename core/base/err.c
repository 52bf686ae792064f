#include <ps/err.h>

#include <string.h>

const char *ps_strerror(int err)
{
	switch (err) {
#define PS_XX(name, val, msg) \
	case val:             \
		return msg;
		PS_ERR_MAP(PS_XX)
#undef PS_XX
	case 0:
		return "success";
	default:
		break;
	}
	if (err < 0 && err > -4096) {
		/* strerrordesc_np is thread-safe and never formats (glibc >= 2.32). */
		const char *s = strerrordesc_np(-err);
		if (s)
			return s;
	}
	return "unknown error";
}
