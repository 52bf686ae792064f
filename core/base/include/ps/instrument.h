/*
 * Instrument table: symbol -> dense uint32 id, plus per-instrument tick size,
 * lot size and price scale.
 *
 * Symbols are 8 bytes as ITCH 5.0 carries them: ASCII, left-aligned, padded
 * on the right with spaces, not NUL-terminated ("AAPL    "). Ids are dense
 * (0, 1, 2, ... in insertion order), so every per-instrument array elsewhere
 * (books, positions, limits) is indexed by id directly.
 *
 * Lookup by symbol is an open-addressing hash (linear probing) on the 8 bytes
 * read as one uint64: one multiply, one shift, usually one probe. The slot
 * array has at least twice the capacity (load <= 50%), so an unsuccessful
 * lookup also ends after a probe or two. Lookup by id is an array index.
 * Capacity is fixed at init; there is no removal (instruments live for the
 * whole run).
 *
 * Thread-safety: add is setup-only (one thread, before readers start);
 * lookups are read-only and may run from any number of threads afterwards.
 */
#ifndef PS_INSTRUMENT_H
#define PS_INSTRUMENT_H

#include <ps/common.h>

#define PS_INSTRUMENT_SYMBOL_LEN 8
#define PS_INSTRUMENT_ID_NONE    UINT32_MAX
#define PS_INSTRUMENT_MAX        (1u << 24) /* capacity limit */

struct ps_instrument {
	char symbol[PS_INSTRUMENT_SYMBOL_LEN]; /* space-padded, not NUL-terminated */
	uint32_t id;
	uint8_t price_scale; /* decimals of prices, 0..PS_FIXED_MAX_SCALE */
	int64_t tick_size;   /* minimum price increment, in price units at price_scale */
	int64_t lot_size;    /* minimum quantity increment (shares/contracts/base units) */
};

/* One hash slot: key 0 means empty (no valid symbol packs to all zero bytes). */
struct ps_instrument__slot {
	uint64_t key;
	uint32_t id;
};

struct ps_instrument_table {
	struct ps_instrument *instruments; /* capacity entries; [0, count) valid */
	struct ps_instrument__slot *slots; /* mask + 1 entries */
	uint32_t count;
	uint32_t capacity;
	uint32_t mask;
	unsigned hash_shift; /* 64 - log2(mask + 1) */
	bool owns_mem;
};

/**
 * Pack a symbol into the 8-byte space-padded form.
 * @param out   8 bytes
 * @param s     symbol text, len bytes (need not be NUL-terminated); trailing
 *              spaces in s are allowed (an ITCH field packs to itself)
 * @return 0; -EINVAL when len is 0 or > 8, or a byte is not printable ASCII
 *   (0x21..0x7e; spaces only as padding at the end).
 */
PS_API int ps_instrument_symbol_pack(char out[PS_INSTRUMENT_SYMBOL_LEN], const char *s, size_t len);

/* Bytes of memory ps_instrument_table_init needs for `capacity` instruments
 * (0 when capacity is 0 or above PS_INSTRUMENT_MAX). */
PS_API size_t ps_instrument_table_memsize(uint32_t capacity);

/**
 * Initialise an empty table over caller-owned mem (ps_instrument_table_memsize
 * bytes, 8-byte aligned).
 * @return 0; -EINVAL (NULL, capacity 0 or > PS_INSTRUMENT_MAX, misaligned mem).
 */
PS_API int ps_instrument_table_init(struct ps_instrument_table *t, void *mem, uint32_t capacity);
PS_API void ps_instrument_table_fini(struct ps_instrument_table *t);

/* Allocate (ps_alloc) and init. @return 0, -EINVAL, -ENOMEM. */
PS_API int ps_instrument_table_create(struct ps_instrument_table **t, uint32_t capacity);
/* Free a table from create; NULL does nothing. */
PS_API void ps_instrument_table_destroy(struct ps_instrument_table *t);

/**
 * Add an instrument. Setup only.
 * @param symbol      text (packed with ps_instrument_symbol_pack), len bytes
 * @param tick_size   > 0, in price units at price_scale (ITCH 0.01 = 100 at scale 4)
 * @param lot_size    > 0
 * @param price_scale 0..PS_FIXED_MAX_SCALE
 * @param id          receives the new dense id (may be NULL)
 * @return 0; -EINVAL (bad symbol, tick, lot or scale); PS_EDUPLICATE (symbol
 *   already present); PS_EFULL (capacity reached).
 */
PS_API int ps_instrument_table_add(struct ps_instrument_table *t, const char *symbol, size_t len,
				   int64_t tick_size, int64_t lot_size, unsigned price_scale,
				   uint32_t *id);

/* Internal: hash of a packed symbol key to a slot index. */
static inline uint32_t ps_instrument__hash(const struct ps_instrument_table *t, uint64_t key)
{
	/* Fibonacci hashing: the top bits of key * 2^64/phi mix all 8 bytes. */
	return (uint32_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> t->hash_shift);
}

/* Internal: an 8-byte packed symbol as a uint64 key. */
static inline uint64_t ps_instrument__key(const char *sym8)
{
	uint64_t k;
	__builtin_memcpy(&k, sym8, sizeof(k));
	return k;
}

/**
 * Id of an 8-byte space-padded symbol (straight from an ITCH message), or
 * PS_INSTRUMENT_ID_NONE. Hot path; any thread after setup.
 */
static inline uint32_t ps_instrument_table_find(const struct ps_instrument_table *t,
						const char sym8[PS_INSTRUMENT_SYMBOL_LEN])
{
	uint64_t key = ps_instrument__key(sym8);
	uint32_t i = ps_instrument__hash(t, key);

	for (;;) {
		const struct ps_instrument__slot *s = &t->slots[i];
		if (s->key == key)
			return s->id;
		if (s->key == 0)
			return PS_INSTRUMENT_ID_NONE;
		i = (i + 1) & t->mask;
	}
}

/* Id of a symbol given as text (packed first). Cold path. PS_INSTRUMENT_ID_NONE
 * when absent or not a valid symbol. */
PS_API uint32_t ps_instrument_table_find_str(const struct ps_instrument_table *t, const char *s);

/* Instrument by id, or NULL when id is out of range. Hot path. */
static inline const struct ps_instrument *
ps_instrument_table_get(const struct ps_instrument_table *t, uint32_t id)
{
	if (ps_unlikely(id >= t->count))
		return NULL;
	return &t->instruments[id];
}

static inline uint32_t ps_instrument_table_count(const struct ps_instrument_table *t)
{
	return t->count;
}

/* Symbol without padding into buf (NUL-terminated, at least 9 bytes). Cold. */
PS_API const char *ps_instrument_symbol_str(const struct ps_instrument *in, char *buf,
					    size_t buf_len);

#endif /* PS_INSTRUMENT_H */
