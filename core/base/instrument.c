#include <ps/alloc.h>
#include <ps/err.h>
#include <ps/fixed.h>
#include <ps/instrument.h>

#include <errno.h>
#include <string.h>

int ps_instrument_symbol_pack(char out[PS_INSTRUMENT_SYMBOL_LEN], const char *s, size_t len)
{
	/* Trailing spaces are padding, so an ITCH field packs to itself. */
	while (len > 0 && s[len - 1] == ' ')
		len--;
	if (len == 0 || len > PS_INSTRUMENT_SYMBOL_LEN)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return -EINVAL;
	memset(out, ' ', PS_INSTRUMENT_SYMBOL_LEN);
	memcpy(out, s, len);
	return 0;
}

/* Slots: the next power of two >= 2 * capacity, so the load stays <= 50%. */
static uint32_t slot_count(uint32_t capacity)
{
	uint32_t n = 2;
	while (n < 2 * capacity)
		n <<= 1;
	return n;
}

static size_t instruments_len(uint32_t capacity)
{
	/* Round up so the slot array that follows is 8-byte aligned. */
	return ((size_t)capacity * sizeof(struct ps_instrument) + 7) & ~(size_t)7;
}

size_t ps_instrument_table_memsize(uint32_t capacity)
{
	if (capacity == 0 || capacity > PS_INSTRUMENT_MAX)
		return 0;
	return instruments_len(capacity) +
	       (size_t)slot_count(capacity) * sizeof(struct ps_instrument__slot);
}

int ps_instrument_table_init(struct ps_instrument_table *t, void *mem, uint32_t capacity)
{
	if (!t || !mem || capacity == 0 || capacity > PS_INSTRUMENT_MAX ||
	    ((uintptr_t)mem & 7) != 0)
		return -EINVAL;
	uint32_t nslots = slot_count(capacity);
	memset(t, 0, sizeof(*t));
	memset(mem, 0, ps_instrument_table_memsize(capacity));
	t->instruments = mem;
	t->slots = (struct ps_instrument__slot *)((char *)mem + instruments_len(capacity));
	t->capacity = capacity;
	t->mask = nslots - 1;
	t->hash_shift = 64u - (unsigned)__builtin_ctz(nslots);
	return 0;
}

void ps_instrument_table_fini(struct ps_instrument_table *t)
{
	if (!t)
		return;
	memset(t, 0, sizeof(*t));
}

int ps_instrument_table_create(struct ps_instrument_table **out, uint32_t capacity)
{
	if (!out)
		return -EINVAL;
	*out = NULL;
	size_t len = ps_instrument_table_memsize(capacity);
	if (len == 0)
		return -EINVAL;
	struct ps_instrument_table *t = ps_alloc(sizeof(*t));
	void *mem = ps_alloc_aligned(PS_CACHE_LINE, len);
	if (!t || !mem) {
		ps_free(mem);
		ps_free(t);
		return -ENOMEM;
	}
	ps_instrument_table_init(t, mem, capacity);
	t->owns_mem = true;
	*out = t;
	return 0;
}

void ps_instrument_table_destroy(struct ps_instrument_table *t)
{
	if (!t || !t->owns_mem) /* not from create: not ours to free */
		return;
	ps_free(t->instruments);
	ps_free(t);
}

int ps_instrument_table_add(struct ps_instrument_table *t, const char *symbol, size_t len,
			    int64_t tick_size, int64_t lot_size, unsigned price_scale, uint32_t *id)
{
	char sym[PS_INSTRUMENT_SYMBOL_LEN];

	if (!t || !symbol || ps_instrument_symbol_pack(sym, symbol, len) != 0 || tick_size <= 0 ||
	    lot_size <= 0 || price_scale > PS_FIXED_MAX_SCALE)
		return -EINVAL;
	uint64_t key = ps_instrument__key(sym);
	uint32_t i = ps_instrument__hash(t, key);
	while (t->slots[i].key != 0) {
		if (t->slots[i].key == key)
			return PS_EDUPLICATE;
		i = (i + 1) & t->mask;
	}
	if (t->count == t->capacity)
		return PS_EFULL;

	uint32_t new_id = t->count;
	struct ps_instrument *in = &t->instruments[new_id];
	memcpy(in->symbol, sym, sizeof(sym));
	in->id = new_id;
	in->price_scale = (uint8_t)price_scale;
	in->tick_size = tick_size;
	in->lot_size = lot_size;
	t->slots[i].key = key;
	t->slots[i].id = new_id;
	t->count++;
	if (id)
		*id = new_id;
	return 0;
}

uint32_t ps_instrument_table_find_str(const struct ps_instrument_table *t, const char *s)
{
	char sym[PS_INSTRUMENT_SYMBOL_LEN];

	if (!s || ps_instrument_symbol_pack(sym, s, strlen(s)) != 0)
		return PS_INSTRUMENT_ID_NONE;
	return ps_instrument_table_find(t, sym);
}

const char *ps_instrument_symbol_str(const struct ps_instrument *in, char *buf, size_t buf_len)
{
	size_t n = PS_INSTRUMENT_SYMBOL_LEN;

	if (!buf || buf_len == 0)
		return "";
	while (n > 0 && in->symbol[n - 1] == ' ')
		n--;
	if (n >= buf_len)
		n = buf_len - 1;
	memcpy(buf, in->symbol, n);
	buf[n] = '\0';
	return buf;
}
