/*
 * SoupBinTCP 3.0: the cold parts (login packets carry ASCII text fields,
 * sent once per connection) and the stream decoder's lifecycle.
 */
#include <ps/soup.h>

/* Writes s left-justified into a width-byte field padded on the right. */
static int put_alpha_left(uint8_t *out, size_t width, const char *s)
{
	size_t n = strlen(s);
	if (n > width)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -EINVAL;
	for (size_t i = 0; i < width; i++)
		out[i] = i < n ? (uint8_t)s[i] : ' ';
	return 0;
}

/* Writes s right-justified into a width-byte field padded on the left. */
static int put_alpha_right(uint8_t *out, size_t width, const char *s)
{
	size_t n = strlen(s);
	if (n > width)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return -EINVAL;
	for (size_t i = 0; i < width; i++)
		out[i] = i < width - n ? ' ' : (uint8_t)s[i - (width - n)];
	return 0;
}

/* ASCII decimal, right-justified, padded on the left with spaces. */
static void put_numeric(uint8_t *out, size_t width, uint64_t v)
{
	size_t i = width;
	do {
		out[--i] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	memset(out, ' ', i);
}

static int get_numeric(const uint8_t *p, size_t width, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	while (i < width && p[i] == ' ')
		i++;
	for (; i < width && p[i] >= '0' && p[i] <= '9'; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return PS_ESYNTAX;
		v = v * 10 + d;
	}
	while (i < width && p[i] == ' ')
		i++;
	/* All blank means 0 (a server may leave the field empty). */
	if (i != width)
		return PS_ESYNTAX;
	*out = v;
	return 0;
}

/*
 * Copies a space-padded field into a NUL-terminated string, trimming spaces;
 * out has width + 1 bytes and is zero-filled past the text.
 * @return 0, or PS_ESYNTAX for a byte outside printable ASCII.
 */
static int get_alpha(char *out, const uint8_t *p, size_t width)
{
	memset(out, 0, width + 1);
	for (size_t i = 0; i < width; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return PS_ESYNTAX;
	size_t b = 0;
	size_t e = width;
	while (b < e && p[b] == ' ')
		b++;
	while (e > b && p[e - 1] == ' ')
		e--;
	memcpy(out, p + b, e - b);
	return 0;
}

int ps_soup_encode_login_request(uint8_t *out, const char *username, const char *password,
				 const char *session, uint64_t seq)
{
	uint8_t *p = out + PS_SOUP_HDR_LEN;
	if (put_alpha_left(p, PS_SOUP_USERNAME_LEN, username) ||
	    put_alpha_left(p + 6, PS_SOUP_PASSWORD_LEN, password) ||
	    put_alpha_right(p + 16, PS_SOUP_SESSION_LEN, session))
		return -EINVAL;
	put_numeric(p + 26, PS_SOUP_SEQ_LEN, seq);
	ps_soup_put_header(out, PS_SOUP_LOGIN_REQUEST, PS_SOUP_LOGIN_REQ_LEN);
	return (int)(PS_SOUP_HDR_LEN + PS_SOUP_LOGIN_REQ_LEN);
}

int ps_soup_encode_login_accepted(uint8_t *out, const char *session, uint64_t seq)
{
	uint8_t *p = out + PS_SOUP_HDR_LEN;
	if (put_alpha_right(p, PS_SOUP_SESSION_LEN, session))
		return -EINVAL;
	put_numeric(p + 10, PS_SOUP_SEQ_LEN, seq);
	ps_soup_put_header(out, PS_SOUP_LOGIN_ACCEPTED, PS_SOUP_LOGIN_ACC_LEN);
	return (int)(PS_SOUP_HDR_LEN + PS_SOUP_LOGIN_ACC_LEN);
}

int ps_soup_decode_login_request(const uint8_t *payload, size_t len,
				 struct ps_soup_login_request *out)
{
	if (len != PS_SOUP_LOGIN_REQ_LEN)
		return PS_EBADLEN;
	if (get_alpha(out->username, payload, PS_SOUP_USERNAME_LEN) ||
	    get_alpha(out->password, payload + 6, PS_SOUP_PASSWORD_LEN) ||
	    get_alpha(out->session, payload + 16, PS_SOUP_SESSION_LEN))
		return PS_ESYNTAX;
	return get_numeric(payload + 26, PS_SOUP_SEQ_LEN, &out->seq);
}

int ps_soup_decode_login_accepted(const uint8_t *payload, size_t len,
				  struct ps_soup_login_accepted *out)
{
	if (len != PS_SOUP_LOGIN_ACC_LEN)
		return PS_EBADLEN;
	if (get_alpha(out->session, payload, PS_SOUP_SESSION_LEN))
		return PS_ESYNTAX;
	return get_numeric(payload + 10, PS_SOUP_SEQ_LEN, &out->seq);
}

int ps_soup_stream_init(struct ps_soup_stream *s, void *mem, uint32_t cap, unsigned dir)
{
	if (!s || !mem || cap < PS_SOUP_HDR_LEN || dir > PS_SOUP_DIR_FROM_CLIENT)
		return -EINVAL;
	s->buf = mem;
	s->cap = cap;
	s->head = s->tail = 0;
	s->dir = (uint8_t)dir;
	s->err = 0;
	return 0;
}

void ps_soup_stream_fini(struct ps_soup_stream *s)
{
	if (!s)
		return;
	memset(s, 0, sizeof(*s));
}

void ps_soup_stream_reset(struct ps_soup_stream *s)
{
	s->head = s->tail = 0;
	s->err = 0;
}
