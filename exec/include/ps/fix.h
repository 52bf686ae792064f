/*
 * FIX 4.4 tag=value codec: framing, parsing without copying, validation
 * against a compact FIX 4.4 dictionary, and an encoder that writes into a
 * caller buffer.
 *
 * Framing (ps_fix_frame) follows what deployed engines do with a bad
 * BodyLength: the frame ends at the first "<SOH>10=nnn<SOH>" that starts at
 * or after the byte BodyLength points at. A frame whose trailer is not
 * exactly where BodyLength says, or whose CheckSum is wrong, is garbled:
 * ps_fix_parse says so and the session drops it (FIX session rules: a
 * garbled message is ignored, and the sequence gap it leaves is recovered
 * by ResendRequest). Bytes before "8=FIX" are skipped.
 *
 * Parsing (ps_fix_parse) fills a caller array of fields: tag plus a view
 * (offset, length) into the message; nothing is copied. Data fields whose
 * length comes from a preceding length field (RawData 96 after 95, and the
 * other <Length>/<Data> pairs) may contain SOH and are cut by that length.
 * Tags are signed so that "-1=x" is reported as an invalid tag number, not
 * as a garbled message; a tag that is not a number is garbled. How it is
 * fast: one SIMD pass (AVX-512BW or AVX2, a portable fallback otherwise)
 * makes the bitmap of SOH bytes and the CheckSum together; then each field
 * is a bit scan for its end and a tag read from four bytes at once (a
 * first-non-digit test and two multiplies; signs, long tags and garbage
 * take a byte-by-byte path). ps_fix_exec_report_decode finds its fields
 * through a tag-to-slot table in one pass and reads numbers eight bytes at
 * a time. Worst cases: a message with more SOH bytes than
 * PS_FIX_MAX_FIELDS runs a copy of the loop that counts fields; data
 * fields holding SOH skip bits one by one.
 *
 * Validation (ps_fix_validate) is the session-level check the FIX
 * specification asks for before a message is accepted: field order
 * (header, body, trailer), known tag numbers, empty values, data formats
 * (int, float/qty/price, UTCTimestamp, boolean, char), tags allowed for
 * the message type, repeated tags, NumInGroup counts of the repeating
 * groups our messages use, and required fields. The dictionary is compact:
 * every tag 1..956 is a FIX 4.4 tag; allowed and required fields are
 * listed for the session messages and the order-entry messages; other
 * message types only get the generic checks.
 *
 * Encoding: ps_fix_enc holds the precomputed "49=..<SOH>56=..<SOH>"
 * template and a cached SendingTime for the current second. A message is
 * built body-first at a fixed offset in the caller buffer, then
 * "8=FIX.4.4<SOH>9=len<SOH>" is written right-aligned in front of it and the
 * CheckSum appended: one pass, no copy, no allocation.
 *
 * Threads: stateless functions; one ps_fix_enc per thread.
 */
#ifndef PS_FIX_H
#define PS_FIX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__) || defined(__AVX512BW__) || defined(__BMI__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <ps/common.h>
#include <ps/err.h>

#define PS_FIX_SOH        '\001'
#define PS_FIX_MAX_FIELDS 128u
#define PS_FIX_MAX_MSG    16384u /* a frame longer than this is garbage */
#define PS_FIX_COMP_MAX   32u    /* CompID length */
/* Bytes reserved in front of a body for "8=FIX.4.4<SOH>9=nnnnn<SOH>". */
#define PS_FIX_PREFIX_ROOM 20u
/* Trailer "10=nnn<SOH>". */
#define PS_FIX_TRAILER_LEN 7u

/* Frequently used tags. */
enum ps_fix_tag {
	PS_FIX_TAG_BEGIN_SEQ_NO = 7,
	PS_FIX_TAG_BEGIN_STRING = 8,
	PS_FIX_TAG_BODY_LENGTH = 9,
	PS_FIX_TAG_CHECKSUM = 10,
	PS_FIX_TAG_CL_ORD_ID = 11,
	PS_FIX_TAG_CUM_QTY = 14,
	PS_FIX_TAG_END_SEQ_NO = 16,
	PS_FIX_TAG_EXEC_ID = 17,
	PS_FIX_TAG_HANDL_INST = 21,
	PS_FIX_TAG_LAST_PX = 31,
	PS_FIX_TAG_LAST_QTY = 32,
	PS_FIX_TAG_MSG_SEQ_NUM = 34,
	PS_FIX_TAG_MSG_TYPE = 35,
	PS_FIX_TAG_NEW_SEQ_NO = 36,
	PS_FIX_TAG_ORDER_ID = 37,
	PS_FIX_TAG_ORDER_QTY = 38,
	PS_FIX_TAG_ORD_STATUS = 39,
	PS_FIX_TAG_ORD_TYPE = 40,
	PS_FIX_TAG_ORIG_CL_ORD_ID = 41,
	PS_FIX_TAG_POSS_DUP = 43,
	PS_FIX_TAG_PRICE = 44,
	PS_FIX_TAG_REF_SEQ_NUM = 45,
	PS_FIX_TAG_SENDER_COMP_ID = 49,
	PS_FIX_TAG_SENDING_TIME = 52,
	PS_FIX_TAG_SIDE = 54,
	PS_FIX_TAG_SYMBOL = 55,
	PS_FIX_TAG_TARGET_COMP_ID = 56,
	PS_FIX_TAG_TEXT = 58,
	PS_FIX_TAG_TIME_IN_FORCE = 59,
	PS_FIX_TAG_TRANSACT_TIME = 60,
	PS_FIX_TAG_AVG_PX = 6,
	PS_FIX_TAG_POSS_RESEND = 97,
	PS_FIX_TAG_ENCRYPT_METHOD = 98,
	PS_FIX_TAG_CXL_REJ_REASON = 102,
	PS_FIX_TAG_ORD_REJ_REASON = 103,
	PS_FIX_TAG_HEART_BT_INT = 108,
	PS_FIX_TAG_TEST_REQ_ID = 112,
	PS_FIX_TAG_ON_BEHALF_OF_COMP_ID = 115,
	PS_FIX_TAG_ON_BEHALF_OF_SUB_ID = 116,
	PS_FIX_TAG_ORIG_SENDING_TIME = 122,
	PS_FIX_TAG_GAP_FILL_FLAG = 123,
	PS_FIX_TAG_DELIVER_TO_COMP_ID = 128,
	PS_FIX_TAG_DELIVER_TO_SUB_ID = 129,
	PS_FIX_TAG_RESET_SEQ_NUM_FLAG = 141,
	PS_FIX_TAG_ON_BEHALF_OF_LOCATION_ID = 144,
	PS_FIX_TAG_DELIVER_TO_LOCATION_ID = 145,
	PS_FIX_TAG_EXEC_TYPE = 150,
	PS_FIX_TAG_LEAVES_QTY = 151,
	PS_FIX_TAG_REF_TAG_ID = 371,
	PS_FIX_TAG_REF_MSG_TYPE = 372,
	PS_FIX_TAG_SESSION_REJECT_REASON = 373,
	PS_FIX_TAG_BUSINESS_REJECT_REASON = 380,
	PS_FIX_TAG_CXL_REJ_RESPONSE_TO = 434,
	PS_FIX_TAG_USERNAME = 553,
	PS_FIX_TAG_PASSWORD = 554,
};

/* SessionRejectReason (373) values. */
enum ps_fix_reject_reason {
	PS_FIX_REJ_INVALID_TAG = 0,
	PS_FIX_REJ_REQUIRED_MISSING = 1,
	PS_FIX_REJ_TAG_NOT_FOR_MSG_TYPE = 2,
	PS_FIX_REJ_UNDEFINED_TAG = 3,
	PS_FIX_REJ_NO_VALUE = 4,
	PS_FIX_REJ_VALUE_OUT_OF_RANGE = 5,
	PS_FIX_REJ_BAD_FORMAT = 6,
	PS_FIX_REJ_COMP_ID = 9,
	PS_FIX_REJ_SENDING_TIME = 10,
	PS_FIX_REJ_INVALID_MSG_TYPE = 11,
	PS_FIX_REJ_TAG_REPEATED = 13,
	PS_FIX_REJ_OUT_OF_ORDER = 14,
	PS_FIX_REJ_GROUP_ORDER = 15,
	PS_FIX_REJ_GROUP_COUNT = 16,
	PS_FIX_REJ_OTHER = 99,
};

struct ps_fix_field {
	int32_t tag;
	uint32_t off; /* value offset in the message */
	uint32_t len; /* value length */
};

/* A parsed message: views into buf (which the caller keeps alive). */
struct ps_fix_msg {
	const uint8_t *buf;
	uint32_t len;
	uint32_t field_count;
	uint32_t body_field; /* index of the first field after 35 */
	uint32_t type_off;   /* MsgType value */
	uint8_t type_len;
	struct ps_fix_field fields[PS_FIX_MAX_FIELDS];
};

/* A validation failure: the Reject (35=3) to send. ref_tag 0 with
 * has_ref_tag false when the reason names no tag. */
struct ps_fix_reject {
	int reason;
	int32_t ref_tag;
	bool has_ref_tag;
};

/*
 * Checksum of n bytes (sum mod 256). With SSE2 (every x86-64), 16 bytes at
 * a time through psadbw; otherwise eight at a time: the even and odd bytes
 * of each word add into four 16-bit lanes, folded every 64 words
 * (64 x 2 x 255 < 65536, so no lane overflows).
 */
static inline uint32_t ps_fix_checksum(const uint8_t *p, uint32_t n)
{
	uint64_t acc = 0;
	uint32_t i = 0;
#if defined(__SSE2__)
	__m128i sum = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16)
		sum = _mm_add_epi64(sum, _mm_sad_epu8(_mm_loadu_si128((const __m128i *)(p + i)),
						      _mm_setzero_si128()));
	acc = (uint64_t)_mm_cvtsi128_si64(sum) +
	      (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sum, sum));
#endif
	const uint64_t even = 0x00FF00FF00FF00FFull;
	while (i + 8 <= n) {
		uint64_t lanes = 0;
		for (uint32_t k = 0; k < 64 && i + 8 <= n; k++, i += 8) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			lanes += (w & even) + ((w >> 8) & even);
		}
		acc += (lanes & 0xFFFF) + ((lanes >> 16) & 0xFFFF) + ((lanes >> 32) & 0xFFFF) +
		       (lanes >> 48);
	}
	for (; i < n; i++)
		acc += p[i];
	return (uint32_t)(acc & 0xffu);
}

/*
 * Index of the first SOH in p[i..end), or end. Eight bytes at a time where
 * eight remain (the classic "has zero byte" test on w ^ 0x01..: its lowest
 * flagged byte is always a real match), then byte by byte: never reads at
 * or past end.
 */
static inline uint32_t ps_fix__find_soh(const uint8_t *p, uint32_t i, uint32_t end)
{
	const uint64_t ones = 0x0101010101010101ull;
	while (i + 8 <= end) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		uint64_t x = w ^ ones;
		uint64_t t = (x - ones) & ~x & 0x8080808080808080ull;
		if (t)
			return i + ((uint32_t)__builtin_ctzll(t) >> 3);
		i += 8;
	}
	while (i < end && p[i] != PS_FIX_SOH)
		i++;
	return i;
}

static inline const uint8_t *ps_fix__find_trailer(const uint8_t *p, const uint8_t *end)
{
	/* "<SOH>10=" */
	while (p + 4 <= end) {
		uint32_t lim = (uint32_t)(end - p - 3);
		uint32_t j = ps_fix__find_soh(p, 0, lim);
		if (j == lim)
			return NULL;
		const uint8_t *q = p + j;
		if (q[1] == '1' && q[2] == '0' && q[3] == '=')
			return q;
		p = q + 1;
	}
	return NULL;
}

/* Offset of the next "8=FIX" at or after from, or -1. */
static inline int32_t ps_fix__next_begin(const uint8_t *buf, uint32_t len, uint32_t from)
{
	for (uint32_t i = from; i + 5 <= len; i++) {
		const uint8_t *q = (const uint8_t *)memchr(buf + i, '8', len - i - 4);
		if (!q)
			return -1;
		i = (uint32_t)(q - buf);
		if (memcmp(q, "8=FIX", 5) == 0 && (i == 0 || buf[i - 1] == PS_FIX_SOH))
			return (int32_t)i;
	}
	return -1;
}

/*
 * Finds the frame at the start of buf[0..len).
 * @return > 0: length of one complete frame starting at buf (parse it with
 *   ps_fix_parse, which may still call it garbled); 0: more bytes needed;
 *   < 0: -n, skip n bytes of garbage (no message starts before them).
 */
static inline int32_t ps_fix_frame(const uint8_t *buf, uint32_t len)
{
	if (len < 5)
		return 0;
	if (ps_unlikely(memcmp(buf, "8=FIX", 5) != 0)) {
		int32_t nx = ps_fix__next_begin(buf, len, 1);
		if (nx > 0)
			return -nx;
		return len > 4 ? -(int32_t)(len - 4) : 0;
	}
	const uint8_t *end = buf + (len < PS_FIX_MAX_MSG ? len : PS_FIX_MAX_MSG);
	/* "8=FIX.4.4<SOH>" is the usual BeginString */
	uint32_t bs =
	    len > 9 && buf[9] == PS_FIX_SOH ? 9 : ps_fix__find_soh(buf, 0, (uint32_t)(end - buf));
	if (bs == (uint32_t)(end - buf))
		return len >= PS_FIX_MAX_MSG ? -1 : 0;
	const uint8_t *p = buf + bs;
	p++;
	if (end - p < 3)
		return 0;
	uint32_t body_len = 0;
	bool bad = p[0] != '9' || p[1] != '=';
	const uint8_t *q = p + 2;
	if (!bad) {
		uint32_t digits = 0;
		while (q < end && *q >= '0' && *q <= '9' && digits < 7) {
			body_len = body_len * 10 + (uint32_t)(*q - '0');
			q++;
			digits++;
		}
		if (q == end)
			return len >= PS_FIX_MAX_MSG ? -1 : 0;
		bad = digits == 0 || *q != PS_FIX_SOH;
	}
	if (ps_unlikely(bad)) {
		int32_t nx = ps_fix__next_begin(buf, len, 1);
		return nx > 0 ? -nx : -(int32_t)(len > 4 ? len - 4 : 1);
	}
	const uint8_t *body = q + 1;
	/* The trailer's SOH is the last body byte when BodyLength is right. */
	const uint8_t *from = body_len ? body + body_len - 1 : body - 1;
	if (from >= end)
		return len >= PS_FIX_MAX_MSG ? -1 : 0;
	if (ps_likely(end - from >= 8)) {
		/* the usual case, "<SOH>10=nnn<SOH>" right there: what the
		 * search below would find */
		uint64_t w;
		memcpy(&w, from, 8);
		if ((w & 0xFF000000FFFFFFFFull) == 0x010000003D303101ull &&
		    (uint8_t)(w >> 32) != PS_FIX_SOH && (uint8_t)(w >> 40) != PS_FIX_SOH &&
		    (uint8_t)(w >> 48) != PS_FIX_SOH)
			return (int32_t)(from + 8 - buf);
	}
	const uint8_t *t = ps_fix__find_trailer(from, end);
	if (!t)
		return (uint32_t)(end - buf) >= PS_FIX_MAX_MSG ? -1 : 0;
	uint32_t tl = (uint32_t)(end - t);
	uint32_t te = ps_fix__find_soh(t, 4, tl);
	if (te == tl)
		return (uint32_t)(end - buf) >= PS_FIX_MAX_MSG ? -1 : 0;
	const uint8_t *e = t + te;
	return (int32_t)(e + 1 - buf);
}

/*
 * Bitmap of the SOH bytes of p[0..n): bit j of bits[j / 64] is p[j] == SOH.
 * Writes n / 64 + 1 words. 64 bytes per word with SSE2, then the rest byte
 * by byte (never reads at or past n).
 */
static inline void ps_fix__soh_bitmap(const uint8_t *p, uint32_t n, uint64_t *bits)
{
	uint32_t i = 0;
	uint32_t w = 0;
	uint64_t last = 0;
	uint32_t sh = 0;
#if defined(__SSE2__)
	const __m128i soh = _mm_set1_epi8(PS_FIX_SOH);
#define PS_FIX__MASK16(off)                     \
	((uint64_t)(uint32_t)_mm_movemask_epi8( \
	    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i + (off))), soh)))
	for (; i + 64 <= n; i += 64)
		bits[w++] = PS_FIX__MASK16(0) | PS_FIX__MASK16(16) << 16 |
			    PS_FIX__MASK16(32) << 32 | PS_FIX__MASK16(48) << 48;
	for (; i + 16 <= n; i += 16, sh += 16)
		last |= PS_FIX__MASK16(0) << sh;
#undef PS_FIX__MASK16
#endif
	/* eight bytes at a time: an exact per-byte zero test of w ^ 0x01..,
	 * then the eight flags gathered into eight bits by one multiply */
	const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
	for (; i + 8 <= n && sh <= 56; i += 8, sh += 8) {
		uint64_t word;
		memcpy(&word, p + i, 8);
		uint64_t x = word ^ 0x0101010101010101ull;
		uint64_t z = ~(((x & low7) + low7) | x | low7); /* 0x80 where x byte == 0 */
		last |= (((z >> 7) * 0x0102040810204080ull) >> 56) << sh;
	}
	for (; i < n; i++, sh++) {
		if (sh == 64) {
			bits[w++] = last;
			last = 0;
			sh = 0;
		}
		last |= (uint64_t)(p[i] == PS_FIX_SOH) << sh;
	}
	bits[w] = last;
}

/* Trailing zero bits of v; 32 when v is 0. */
static inline uint32_t ps_fix__ctz32(uint32_t v)
{
#if defined(__BMI__)
	return (uint32_t)_tzcnt_u32(v);
#else
	return v ? (uint32_t)__builtin_ctz(v) : 32u;
#endif
}

/* Trailing zero bits of v; 64 when v is 0. */
static inline uint32_t ps_fix__ctz64(uint64_t v)
{
#if defined(__BMI__)
	return (uint32_t)_tzcnt_u64(v);
#else
	return v ? (uint32_t)__builtin_ctzll(v) : 64u;
#endif
}

/*
 * One pass over p[0..n): the SOH bitmap of ps_fix__soh_bitmap (n / 64 + 1
 * words) and the byte sum mod 256 of ps_fix_checksum, sharing the loads.
 * AVX-512BW: 64 bytes a step, the rest through a masked load (masked-off
 * bytes are neither read nor faulted on). AVX2: 32 bytes a step, the rest
 * from the last 32 bytes before n with those already counted masked off
 * (n < 32: byte by byte). Otherwise the two separate functions. Never reads
 * at or past n.
 */
#if defined(__AVX512BW__)
static inline uint32_t ps_fix__scan(const uint8_t *p, uint32_t n, uint64_t *bits)
{
	const __m512i soh = _mm512_set1_epi8(PS_FIX_SOH);
	const __m512i zero = _mm512_setzero_si512();
	__m512i sum = zero;
	uint32_t i = 0;
	uint32_t w = 0;
	for (; i + 64 <= n; i += 64) {
		__m512i v = _mm512_loadu_si512((const void *)(p + i));
		bits[w++] = _mm512_cmpeq_epi8_mask(v, soh);
		sum = _mm512_add_epi64(sum, _mm512_sad_epu8(v, zero));
	}
	__m512i v = _mm512_maskz_loadu_epi8((__mmask64)((1ull << (n - i)) - 1), p + i);
	bits[w] = _mm512_cmpeq_epi8_mask(v, soh);
	sum = _mm512_add_epi64(sum, _mm512_sad_epu8(v, zero));
	return (uint32_t)_mm512_reduce_add_epi64(sum) & 0xffu;
}
#elif defined(__AVX2__)
static inline uint32_t ps_fix__scan(const uint8_t *p, uint32_t n, uint64_t *bits)
{
	/* 32 zero bytes then 32 0xff: a load at keep + t keeps the last t bytes */
	static const uint8_t keep[64] = {
		0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
		0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
		0,    0,    0,    0,    0,    0,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	const __m256i soh = _mm256_set1_epi8(PS_FIX_SOH);
	const __m256i zero = _mm256_setzero_si256();
	__m256i sum = zero;
	uint32_t i = 0;
	uint32_t w = 0;
#define PS_FIX__MASK32(v) ((uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8((v), soh)))
	for (; i + 64 <= n; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(p + i + 32));
		bits[w++] = PS_FIX__MASK32(a) | PS_FIX__MASK32(b) << 32;
		sum = _mm256_add_epi64(
		    sum, _mm256_add_epi64(_mm256_sad_epu8(a, zero), _mm256_sad_epu8(b, zero)));
	}
	uint64_t last = 0;
	uint32_t sh = 0;
	if (i + 32 <= n) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(p + i));
		last = PS_FIX__MASK32(a);
		sum = _mm256_add_epi64(sum, _mm256_sad_epu8(a, zero));
		i += 32;
		sh = 32;
	}
	uint64_t acc = 0;
	uint32_t t = n - i; /* 0..31 bytes left */
	if (t && n >= 32) {
		__m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(p + n - 32)),
					     _mm256_loadu_si256((const __m256i *)(keep + t)));
		last |= (PS_FIX__MASK32(a) >> (32 - t)) << sh;
		sum = _mm256_add_epi64(sum, _mm256_sad_epu8(a, zero));
	} else {
		for (uint32_t k = 0; k < t; k++) {
			last |= (uint64_t)(p[i + k] == PS_FIX_SOH) << (sh + k);
			acc += p[i + k];
		}
	}
#undef PS_FIX__MASK32
	bits[w] = last;
	__m128i s = _mm_add_epi64(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
	acc +=
	    (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s));
	return (uint32_t)(acc & 0xffu);
}
#else
static inline uint32_t ps_fix__scan(const uint8_t *p, uint32_t n, uint64_t *bits)
{
	ps_fix__soh_bitmap(p, n, bits);
	return ps_fix_checksum(p, n);
}
#endif

/* Bit (tag & 63) set for every data tag below (89 91 96 213 349 .. 365 446
 * 619 622). */
#define PS_FIX__DATA_TAG_BLOOM                                                                     \
	((1ull << 25) | (1ull << 27) | (1ull << 32) | (1ull << 21) | (1ull << 29) | (1ull << 31) | \
	 (1ull << 33) | (1ull << 35) | (1ull << 37) | (1ull << 39) | (1ull << 41) | (1ull << 43) | \
	 (1ull << 45) | (1ull << 62) | (1ull << 46))

/* Length tag whose value gives the size of data tag `tag`, or 0. */
static inline int32_t ps_fix__data_len_tag(int32_t tag)
{
	switch (tag) {
	case 89:
		return 93;
	case 91:
		return 90;
	case 96:
		return 95;
	case 213:
		return 212;
	case 349:
		return 348;
	case 351:
		return 350;
	case 353:
		return 352;
	case 355:
		return 354;
	case 357:
		return 356;
	case 359:
		return 358;
	case 361:
		return 360;
	case 363:
		return 362;
	case 365:
		return 364;
	case 446:
		return 445;
	case 619:
		return 618;
	case 622:
		return 621;
	default:
		return 0;
	}
}

/* Unsigned decimal of a view; false on empty, non-digits or overflow. */
static inline bool ps_fix_view_u64(const uint8_t *p, uint32_t n, uint64_t *out)
{
	if (n == 0 || n > 19)
		return false;
	uint64_t v = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t d = (uint32_t)p[i] - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Index of the first byte of w (first byte lowest) that is not a digit, 8
 * when all are; *x gets each byte minus '0' (exact up to that byte: borrows
 * and carries run upwards only from a byte that is itself not a digit). */
static inline uint32_t ps_fix__first_nondigit(uint64_t w, uint64_t *x)
{
	const uint64_t ones = 0x0101010101010101ull;
	*x = w - ones * '0';
	return ps_fix__ctz64((*x | (*x + ones * 0x76)) & (ones * 0x80)) >> 3;
}

/* Value of the n (1..8) low bytes of x, each 0..9, first digit lowest: the
 * digits to the top, zero bytes below them act as leading zeros; pairs,
 * then fours, then eights are combined by multiplies (two on 32 bits when
 * n <= 4, three on 64). */
static inline uint64_t ps_fix__digits_value(uint64_t x, uint32_t n)
{
	if (n <= 4) {
		uint32_t u = (uint32_t)x << (32 - 8 * n);
		u = ((u * 2561u) >> 8) & 0x00FF00FFu;
		return (u * 6553601u) >> 16;
	}
	uint64_t v = n >= 8 ? x : x << (64 - 8 * n);
	v = ((v * 2561) >> 8) & 0x00FF00FF00FF00FFull;
	v = ((v * 6553601) >> 16) & 0x0000FFFF0000FFFFull;
	return (v * 42949672960001ull) >> 32;
}

/* Value of the n (1..8) digits at the low end of w (first digit lowest);
 * false when one of them is not a digit. */
static inline bool ps_fix__swar_digits(uint64_t w, uint32_t n, uint64_t *out)
{
	if (n <= 4) { /* the usual quantity: 32-bit masks, immediate operands */
		const uint32_t x4 = (uint32_t)w - 0x30303030u;
		if (ps_fix__ctz32((x4 | (x4 + 0x76767676u)) & 0x80808080u) < 8 * n)
			return false;
		uint32_t u = x4 << (32 - 8 * n);
		u = ((u * 2561u) >> 8) & 0x00FF00FFu;
		*out = (u * 6553601u) >> 16;
		return true;
	}
	uint64_t x;
	if (ps_fix__first_nondigit(w, &x) < n)
		return false;
	*out = ps_fix__digits_value(x, n);
	return true;
}

/* ps_fix_view_u64 of field f, reading eight bytes at once when the message
 * has them (a body value always has: its SOH and the 7-byte trailer follow). */
static inline bool ps_fix__field_u64(const struct ps_fix_msg *m, const struct ps_fix_field *f,
				     uint64_t *out)
{
	if (ps_likely(f->len - 1u < 8u && f->off + 8 <= m->len)) {
		uint64_t w;
		memcpy(&w, m->buf + f->off, 8);
		return ps_fix__swar_digits(w, f->len, out);
	}
	return ps_fix_view_u64(m->buf + f->off, f->len, out);
}

/*
 * The field loop of ps_fix_parse over soh, the SOH bitmap of
 * buf[0..trailer), into fl. checked: stop at PS_FIX_MAX_FIELDS fields;
 * false when the caller has counted no more SOH bits than that (every field
 * takes one). Always inlined: ps_fix_parse has one copy of each kind, and
 * the unchecked one, which drops the per-field count check and the index
 * arithmetic, is the point (about 5 instructions a field fewer).
 * @return the field count, or PS_EPROTOCOL.
 */
static PS_ALWAYS_INLINE int ps_fix__split(const uint8_t *buf, uint32_t trailer, const uint64_t *soh,
					  struct ps_fix_field *fl, const bool checked)
{
	struct ps_fix_field *f = fl;
	struct ps_fix_field *const fend = fl + PS_FIX_MAX_FIELDS;
	uint32_t base = 0; /* offset of the bitmap word in cur */
	uint64_t cur = soh[0];
	uint32_t i = 0;
	/*
	 * One field per SOH bit. The last bit is buf[trailer - 1], so running
	 * out of bits is the end of the body, with i == trailer: no compare
	 * with trailer per field, and few enough values live across the loop
	 * that they all stay in registers.
	 */
	for (;;) {
		while (!cur) {
			base += 64;
			if (base >= trailer)
				goto done;
			/* soh[0..trailer / 64] were all written by ps_fix__scan.
			 * NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
			cur = soh[base / 64];
		}
		uint32_t e = base + (uint32_t)__builtin_ctzll(cur); /* this field's SOH */
		cur &= cur - 1;
		/*
		 * The tag: four bytes at i (i < trailer, so they lie before len);
		 * FIX 4.4 tags have 1..3 digits. x holds each byte minus '0'; the
		 * lowest flagged byte of the mask is the first that is not a digit
		 * (borrows and carries only run upwards from a byte that is itself
		 * flagged). tz = 8 * digits + 7.
		 */
		uint32_t w;
		memcpy(&w, buf + i, 4);
		const uint32_t x = w - 0x30303030u;
		const uint32_t tz = ps_fix__ctz32((x | (x + 0x76767676u)) & 0x80808080u);
		int32_t tag;
		uint32_t vo; /* value offset */
		if (ps_likely(tz - 15u <= 16u && (uint8_t)(w >> (tz - 7)) == '=')) {
			/* 1..3 digits then '=' (the SOH at e, not a digit, lies past
			 * the '='): the digits to the top of 32 bits, zero bytes
			 * below them act as leading zeros, two multiplies */
			uint32_t u = x << (39 - tz);
			u = ((u * 2561u) >> 8) & 0x00FF00FFu;
			tag = (int32_t)((u * 6553601u) >> 16);
			vo = i + ((tz + 1) >> 3);
		} else {
			/* a sign, 4..9 digits, or garbage: byte by byte up to e */
			int32_t sign = 1;
			if (buf[i] == '-') {
				sign = -1;
				i++;
			}
			uint32_t d0 = i;
			tag = 0;
			while (i < e && buf[i] >= '0' && buf[i] <= '9' && i - d0 < 9)
				tag = tag * 10 + (int32_t)(buf[i++] - '0');
			if (ps_unlikely(i == d0 || i >= e || buf[i] != '='))
				return PS_EPROTOCOL;
			tag *= sign;
			vo = i + 1;
		}
		if (checked && ps_unlikely(f == fend))
			return PS_EPROTOCOL;
		/* off here, tag and len below: stored apart, the compiler does
		 * not pack two of them through a vector register */
		f->off = vo;
		/* a cheap filter first: the data tags are 89..622, and bit (tag &
		 * 63) of every one is in the bloom word */
		if (ps_unlikely((uint32_t)tag - 89u <= 533u &&
				((PS_FIX__DATA_TAG_BLOOM >> (tag & 63)) & 1))) {
			int32_t lt = ps_fix__data_len_tag(tag);
			uint64_t dl;
			if (lt && f > fl && f[-1].tag == lt &&
			    ps_fix_view_u64(buf + f[-1].off, f[-1].len, &dl) &&
			    dl <= trailer - vo && buf[vo + dl] == PS_FIX_SOH && vo + dl > e) {
				/* data holding SOH: its end is the SOH after dl bytes
				 * (at most trailer - 1, so the bits do not run out) */
				uint32_t de = vo + (uint32_t)dl;
				while (e < de) {
					while (!cur) {
						base += 64;
						if (base >= trailer)
							return PS_EPROTOCOL;
						/* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign) */
						cur = soh[base / 64];
					}
					e = base + (uint32_t)__builtin_ctzll(cur);
					cur &= cur - 1;
				}
			}
		}
		f->tag = tag;
		f->len = e - vo;
		f++;
		i = e + 1;
	}
done:
	return (int)(f - fl);
}

/*
 * Parses one frame (from ps_fix_frame) into m: checks that BodyLength and
 * CheckSum are right and that 8, 9, 35 come first, then splits the fields.
 * @return 0; PS_ECRC (CheckSum wrong); PS_EPROTOCOL (garbled: BodyLength
 *   wrong, a tag that is not a number, missing '=', 8/9/35 not first, more
 *   than PS_FIX_MAX_FIELDS fields).
 */
static inline int ps_fix_parse(const uint8_t *buf, uint32_t len, struct ps_fix_msg *m)
{
	m->buf = buf;
	m->len = len;
	m->field_count = 0;
	m->type_len = 0;
	/* The trailer is the last 7 bytes: "10=nnn<SOH>". */
	if (ps_unlikely(len < 20 || len > PS_FIX_MAX_MSG || buf[len - 1] != PS_FIX_SOH ||
			buf[len - 8] != PS_FIX_SOH || memcmp(buf + len - 7, "10=", 3) != 0))
		return PS_EPROTOCOL;
	const uint32_t trailer = len - PS_FIX_TRAILER_LEN;
	/*
	 * Field ends come from a bitmap of SOH positions, built in the same
	 * pass as the CheckSum, so finding the next field is a bit scan, not a
	 * byte loop whose length depends on the value: the loop carries no long
	 * dependency. buf[trailer - 1] is a SOH, so every field finds its end.
	 */
	uint64_t soh[PS_FIX_MAX_MSG / 64 + 1];
	const uint32_t sum = ps_fix__scan(buf, trailer, soh);
	/* every field takes at least one SOH bit: with no more bits than
	 * fields fit, the loop needs no count check */
	uint32_t bits = 0;
	for (uint32_t k = 0; k <= trailer / 64; k++)
		/* ps_fix__scan wrote soh[0..trailer / 64].
		 * NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
		bits += (uint32_t)__builtin_popcountll(soh[k]);
	int rc = bits <= PS_FIX_MAX_FIELDS ? ps_fix__split(buf, trailer, soh, m->fields, false)
					   : ps_fix__split(buf, trailer, soh, m->fields, true);
	if (ps_unlikely(rc < 0))
		return rc;
	const uint32_t n = (uint32_t)rc;
	const struct ps_fix_field *fl = m->fields;
	if (ps_unlikely(n < 3 || fl[0].tag != 8 || fl[1].tag != 9 || fl[2].tag != 35 ||
			fl[2].len == 0 || fl[2].len > 2))
		return PS_EPROTOCOL;
	uint32_t body_start = fl[1].off + fl[1].len + 1;
	uint64_t bl;
	if (ps_unlikely(!ps_fix_view_u64(buf + fl[1].off, fl[1].len, &bl) ||
			bl != trailer - body_start))
		return PS_EPROTOCOL;
	uint64_t ck;
	if (ps_unlikely(!ps_fix_view_u64(buf + len - 4, 3, &ck) || ck != sum))
		return PS_ECRC;
	m->field_count = n;
	m->body_field = 3;
	m->type_off = fl[2].off;
	m->type_len = (uint8_t)fl[2].len;
	return 0;
}

/* Index of the first field with tag, or -1. */
static inline int32_t ps_fix_msg_find(const struct ps_fix_msg *m, int32_t tag)
{
	for (uint32_t i = 0; i < m->field_count; i++)
		if (m->fields[i].tag == tag)
			return (int32_t)i;
	return -1;
}

static inline const uint8_t *ps_fix_msg_value(const struct ps_fix_msg *m, uint32_t idx)
{
	return m->buf + m->fields[idx].off;
}

/* True when MsgType is the one- or two-character t. */
static inline bool ps_fix_msg_is(const struct ps_fix_msg *m, const char *t)
{
	size_t n = strlen(t);
	return m->type_len == n && memcmp(m->buf + m->type_off, t, n) == 0;
}

/* Value of tag as an unsigned integer; false when absent or not one. */
static inline bool ps_fix_msg_u64(const struct ps_fix_msg *m, int32_t tag, uint64_t *out)
{
	int32_t i = ps_fix_msg_find(m, tag);
	return i >= 0 && ps_fix_view_u64(m->buf + m->fields[i].off, m->fields[i].len, out);
}

/*
 * Decimal value of a view at a fixed-point scale ("12.5" at scale 4 is
 * 125000). Accepts an optional '-', digits, an optional '.' and digits;
 * digits beyond the scale must be zeros.
 * @return true, or false on a bad format or overflow.
 */
static inline bool ps_fix_view_decimal(const uint8_t *p, uint32_t n, uint32_t scale, int64_t *out)
{
	uint32_t i = 0;
	bool neg = false;
	if (n && p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == n)
		return false;
	uint64_t v = 0;
	uint32_t frac = 0;
	bool dot = false;
	bool any = false;
	for (; i < n; i++) {
		if (p[i] == '.') {
			if (dot)
				return false;
			dot = true;
			continue;
		}
		uint32_t d = (uint32_t)p[i] - '0';
		if (d > 9)
			return false;
		any = true;
		if (dot) {
			if (frac == scale) {
				if (d)
					return false;
				continue;
			}
			frac++;
		}
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + d;
	}
	if (!any)
		return false;
	for (; frac < scale; frac++) {
		if (v > UINT64_MAX / 10)
			return false;
		v *= 10;
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

/* ps_fix_view_decimal of field f, with the same eight-byte fast path for
 * "digits[.digits]" up to 8 characters and no more decimals than scale:
 * the '.' is taken out (the bytes above it move down one) and the digits
 * are read as one number. Anything else takes the byte-by-byte path. */
static inline bool ps_fix__field_decimal(const struct ps_fix_msg *m, const struct ps_fix_field *f,
					 uint32_t scale, int64_t *out)
{
	static const uint64_t pow10[10] = { 1,      10,      100,      1000,      10000,
					    100000, 1000000, 10000000, 100000000, 1000000000 };
	const uint32_t n = f->len;
	if (ps_likely(n - 1u < 8u && f->off + 8 <= m->len && scale <= 9)) {
		uint64_t w;
		memcpy(&w, m->buf + f->off, 8);
		uint64_t x;
		uint32_t p = ps_fix__first_nondigit(w, &x);
		if (p >= n) { /* a whole number */
			*out = (int64_t)(ps_fix__digits_value(x, n) * pow10[scale]);
			return true;
		}
		uint32_t fp = n - p - 1; /* fraction digits */
		if (p > 0 && (uint8_t)(w >> (8 * p)) == '.' && fp <= scale) {
			uint64_t low = (1ull << (8 * p)) - 1; /* p <= 7 */
			if (ps_fix__first_nondigit((w & low) | ((w >> 8) & ~low), &x) >= n - 1) {
				*out =
				    (int64_t)(ps_fix__digits_value(x, n - 1) * pow10[scale - fp]);
				return true;
			}
		}
	}
	return ps_fix_view_decimal(m->buf + f->off, f->len, scale, out);
}

/* ExecutionReport (35=8) fields the OMS uses; views into the message. */
struct ps_fix_exec_report {
	const uint8_t *cl_ord_id, *orig_cl_ord_id, *order_id, *exec_id, *symbol, *text;
	uint8_t cl_ord_id_len, orig_cl_ord_id_len, order_id_len, exec_id_len, symbol_len;
	uint16_t text_len;
	char exec_type;  /* 150 */
	char ord_status; /* 39 */
	char side;       /* 54 */
	uint32_t ord_rej_reason;
	int64_t price, last_px, avg_px; /* at the scale given to decode */
	uint64_t order_qty, last_qty, leaves_qty, cum_qty;
};

/*
 * Pulls an ExecutionReport's fields out of a parsed message. Prices are
 * converted at `scale`; quantities must be whole numbers. One pass notes
 * where each wanted tag is (a table from tag to slot, no per-tag branch),
 * then each field is read from its place. A repeated tag (which
 * ps_fix_validate rejects) counts by its last occurrence.
 * @return 0, PS_EPROTOCOL (not a 35=8, a required field missing or badly
 *   formatted).
 */
static inline int ps_fix_exec_report_decode(const struct ps_fix_msg *m, uint32_t scale,
					    struct ps_fix_exec_report *er)
{
	enum {
		ER_NONE, /* every other tag lands here */
		ER_CL_ORD_ID,
		ER_ORIG_CL_ORD_ID,
		ER_ORDER_ID,
		ER_EXEC_ID,
		ER_SYMBOL,
		ER_TEXT,
		ER_EXEC_TYPE,
		ER_ORD_STATUS,
		ER_SIDE,
		ER_ORD_REJ_REASON,
		ER_PRICE,
		ER_LAST_PX,
		ER_AVG_PX,
		ER_ORDER_QTY,
		ER_LAST_QTY,
		ER_LEAVES_QTY,
		ER_CUM_QTY,
		ER_SLOTS,
		ER_MAX_TAG = 151, /* the highest tag read */
	};
	static const uint8_t slot_of[ER_MAX_TAG + 1] = {
		[11] = ER_CL_ORD_ID,       [41] = ER_ORIG_CL_ORD_ID, [37] = ER_ORDER_ID,
		[17] = ER_EXEC_ID,         [55] = ER_SYMBOL,         [58] = ER_TEXT,
		[150] = ER_EXEC_TYPE,      [39] = ER_ORD_STATUS,     [54] = ER_SIDE,
		[103] = ER_ORD_REJ_REASON, [44] = ER_PRICE,          [31] = ER_LAST_PX,
		[6] = ER_AVG_PX,           [38] = ER_ORDER_QTY,      [32] = ER_LAST_QTY,
		[151] = ER_LEAVES_QTY,     [14] = ER_CUM_QTY,
	};
	if (ps_unlikely(m->type_len != 1 || m->buf[m->type_off] != '8'))
		return PS_EPROTOCOL;
	/* at[slot]: index of the field; 0 (the BeginString, never a body
	 * field) when absent */
	uint8_t at[ER_SLOTS] = { 0 };
	const struct ps_fix_field *f = m->fields;
	memset(er, 0, sizeof(*er));
	for (uint32_t i = m->body_field; i < m->field_count; i++) {
		uint32_t t = (uint32_t)f[i].tag;
		at[t <= ER_MAX_TAG ? slot_of[t] : ER_NONE] = (uint8_t)i;
	}
	bool ok = at[ER_ORDER_ID] && at[ER_EXEC_ID] && at[ER_EXEC_TYPE] && at[ER_ORD_STATUS] &&
		  at[ER_LEAVES_QTY];
	uint32_t k;
#define PS_FIX__ER_VIEW(slot, ptr, plen, cap)                                           \
	if ((k = at[slot]) != 0) {                                                      \
		er->ptr = m->buf + f[k].off;                                            \
		er->plen = (__typeof__(er->plen))(f[k].len > (cap) ? (cap) : f[k].len); \
	}
#define PS_FIX__ER_CHAR(slot, out) \
	if ((k = at[slot]) != 0)   \
		er->out = f[k].len == 1 ? (char)m->buf[f[k].off] : 0;
	PS_FIX__ER_VIEW(ER_CL_ORD_ID, cl_ord_id, cl_ord_id_len, 255u)
	PS_FIX__ER_VIEW(ER_ORIG_CL_ORD_ID, orig_cl_ord_id, orig_cl_ord_id_len, 255u)
	PS_FIX__ER_VIEW(ER_ORDER_ID, order_id, order_id_len, 255u)
	PS_FIX__ER_VIEW(ER_EXEC_ID, exec_id, exec_id_len, 255u)
	PS_FIX__ER_VIEW(ER_SYMBOL, symbol, symbol_len, 255u)
	PS_FIX__ER_VIEW(ER_TEXT, text, text_len, 65535u)
	PS_FIX__ER_CHAR(ER_EXEC_TYPE, exec_type)
	PS_FIX__ER_CHAR(ER_ORD_STATUS, ord_status)
	PS_FIX__ER_CHAR(ER_SIDE, side)
#undef PS_FIX__ER_VIEW
#undef PS_FIX__ER_CHAR
	if ((k = at[ER_ORD_REJ_REASON]) != 0) {
		uint64_t r = 0;
		ok &= ps_fix__field_u64(m, &f[k], &r);
		er->ord_rej_reason = (uint32_t)r;
	}
	if ((k = at[ER_PRICE]) != 0)
		ok &= ps_fix__field_decimal(m, &f[k], scale, &er->price);
	if ((k = at[ER_LAST_PX]) != 0)
		ok &= ps_fix__field_decimal(m, &f[k], scale, &er->last_px);
	if ((k = at[ER_AVG_PX]) != 0)
		ok &= ps_fix__field_decimal(m, &f[k], scale, &er->avg_px);
	if ((k = at[ER_ORDER_QTY]) != 0)
		ok &= ps_fix__field_u64(m, &f[k], &er->order_qty);
	if ((k = at[ER_LAST_QTY]) != 0)
		ok &= ps_fix__field_u64(m, &f[k], &er->last_qty);
	if ((k = at[ER_LEAVES_QTY]) != 0)
		ok &= ps_fix__field_u64(m, &f[k], &er->leaves_qty);
	if ((k = at[ER_CUM_QTY]) != 0)
		ok &= ps_fix__field_u64(m, &f[k], &er->cum_qty);
	return ok ? 0 : PS_EPROTOCOL;
}

/*
 * Checks a parsed message against the FIX 4.4 dictionary (see the top).
 * @return true when valid; false with *rej set to the Reject to send.
 */
PS_API bool ps_fix_validate(const struct ps_fix_msg *m, struct ps_fix_reject *rej);
/* True for a tag of the standard header (8, 9, 35 included). */
PS_API bool ps_fix_is_header_tag(int32_t tag);
/* Text a Reject (58) carries for a SessionRejectReason. */
PS_API const char *ps_fix_reject_text(int reason);
/* True for a session-level (administrative) MsgType: 0 1 2 3 4 5 A. */
static inline bool ps_fix_msg_is_admin(const struct ps_fix_msg *m)
{
	if (m->type_len != 1)
		return false;
	char c = (char)m->buf[m->type_off];
	return (c >= '0' && c <= '5') || c == 'A';
}

/* --- encoding --------------------------------------------------------- */

/* Writes v in decimal at p. @return digits written. */
static inline uint32_t ps_fix_put_u64(uint8_t *p, uint64_t v)
{
	uint8_t tmp[20];
	uint32_t n = 0;
	do {
		tmp[n++] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v);
	for (uint32_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Writes a fixed-point value with `scale` decimals, trailing zeros of the
 * fraction trimmed ("12.5", "100"). @return bytes written (<= 21). */
static inline uint32_t ps_fix_put_decimal(uint8_t *p, int64_t v, uint32_t scale)
{
	uint32_t n = 0;
	uint64_t u;
	if (v < 0) {
		p[n++] = '-';
		u = (uint64_t)0 - (uint64_t)v;
	} else {
		u = (uint64_t)v;
	}
	uint64_t pow = 1;
	for (uint32_t i = 0; i < scale; i++)
		pow *= 10;
	uint64_t ip = u / pow;
	uint64_t fp = u % pow;
	n += ps_fix_put_u64(p + n, ip);
	if (fp) {
		uint32_t digits = scale;
		while (fp % 10 == 0) {
			fp /= 10;
			digits--;
		}
		p[n++] = '.';
		for (uint32_t i = digits; i > 0; i--) {
			p[n + i - 1] = (uint8_t)('0' + fp % 10);
			fp /= 10;
		}
		n += digits;
	}
	return n;
}

/*
 * Encoder state for one session direction: the "49=<sender><SOH>" and
 * "56=<target><SOH>" templates and the SendingTime text of the current second.
 */
struct ps_fix_enc {
	uint8_t sender[PS_FIX_COMP_MAX + 5]; /* "49=<sender><SOH>" */
	uint8_t target[PS_FIX_COMP_MAX + 5]; /* "56=<target><SOH>" */
	uint32_t sender_len, target_len;
	uint64_t ts_sec;  /* second (Unix) that ts_text holds */
	char ts_text[24]; /* "YYYYMMDD-HH:MM:SS." */
};

/* @return 0 or -EINVAL (a CompID empty, too long, or holding SOH/'='). */
PS_API int ps_fix_enc_init(struct ps_fix_enc *e, const char *sender, const char *target);
/* Re-formats the cached date/time for Unix second sec (cold: once a second). */
PS_API void ps_fix_enc__set_second(struct ps_fix_enc *e, uint64_t sec);

/* Writes "YYYYMMDD-HH:MM:SS.sss" (21 bytes) for real-time now_ns. */
static inline void ps_fix_put_time(struct ps_fix_enc *e, uint8_t *p, uint64_t now_ns)
{
	uint64_t sec = now_ns / 1000000000ull;
	if (ps_unlikely(sec != e->ts_sec))
		ps_fix_enc__set_second(e, sec);
	memcpy(p, e->ts_text, 18);
	uint32_t ms = (uint32_t)(now_ns / 1000000ull % 1000u);
	p[18] = (uint8_t)('0' + ms / 100);
	p[19] = (uint8_t)('0' + ms / 10 % 10);
	p[20] = (uint8_t)('0' + ms % 10);
}

/*
 * Starts a message: body begins at buf + PS_FIX_PREFIX_ROOM with
 * "35=<type><SOH>34=<seq><SOH>49=..<SOH>52=<now><SOH>56=..<SOH>" (the
 * header in tag order, as most engines write it).
 * @return bytes of body written so far (append fields after them).
 */
static inline uint32_t ps_fix_enc_begin(struct ps_fix_enc *e, uint8_t *buf, const char *type,
					uint64_t seq, uint64_t now_ns)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM;
	uint32_t n = 0;
	p[n++] = '3';
	p[n++] = '5';
	p[n++] = '=';
	p[n++] = (uint8_t)type[0];
	if (type[1])
		p[n++] = (uint8_t)type[1];
	p[n++] = PS_FIX_SOH;
	p[n++] = '3';
	p[n++] = '4';
	p[n++] = '=';
	n += ps_fix_put_u64(p + n, seq);
	p[n++] = PS_FIX_SOH;
	memcpy(p + n, e->sender, e->sender_len);
	n += e->sender_len;
	p[n++] = '5';
	p[n++] = '2';
	p[n++] = '=';
	ps_fix_put_time(e, p + n, now_ns);
	n += 21;
	p[n++] = PS_FIX_SOH;
	memcpy(p + n, e->target, e->target_len);
	n += e->target_len;
	return n;
}

/* Appends "tag=value<SOH>" (string value). @return new body length. */
static inline uint32_t ps_fix_add_str(uint8_t *buf, uint32_t n, uint32_t tag, const void *v,
				      uint32_t vlen)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM + n;
	uint32_t k = ps_fix_put_u64(p, tag);
	p[k++] = '=';
	memcpy(p + k, v, vlen);
	k += vlen;
	p[k++] = PS_FIX_SOH;
	return n + k;
}

static inline uint32_t ps_fix_add_char(uint8_t *buf, uint32_t n, uint32_t tag, char c)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM + n;
	uint32_t k = ps_fix_put_u64(p, tag);
	p[k++] = '=';
	p[k++] = (uint8_t)c;
	p[k++] = PS_FIX_SOH;
	return n + k;
}

static inline uint32_t ps_fix_add_u64(uint8_t *buf, uint32_t n, uint32_t tag, uint64_t v)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM + n;
	uint32_t k = ps_fix_put_u64(p, tag);
	p[k++] = '=';
	k += ps_fix_put_u64(p + k, v);
	p[k++] = PS_FIX_SOH;
	return n + k;
}

static inline uint32_t ps_fix_add_decimal(uint8_t *buf, uint32_t n, uint32_t tag, int64_t v,
					  uint32_t scale)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM + n;
	uint32_t k = ps_fix_put_u64(p, tag);
	p[k++] = '=';
	k += ps_fix_put_decimal(p + k, v, scale);
	p[k++] = PS_FIX_SOH;
	return n + k;
}

static inline uint32_t ps_fix_add_time(struct ps_fix_enc *e, uint8_t *buf, uint32_t n, uint32_t tag,
				       uint64_t now_ns)
{
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM + n;
	uint32_t k = ps_fix_put_u64(p, tag);
	p[k++] = '=';
	ps_fix_put_time(e, p + k, now_ns);
	k += 21;
	p[k++] = PS_FIX_SOH;
	return n + k;
}

/*
 * Finishes a message whose body_len body bytes sit at buf +
 * PS_FIX_PREFIX_ROOM: writes the prefix in front and the CheckSum after.
 * The buffer needs PS_FIX_PREFIX_ROOM + body_len + PS_FIX_TRAILER_LEN bytes.
 * @param start out: offset of "8=" in buf. @return the message length.
 */
static inline uint32_t ps_fix_enc_finish(uint8_t *buf, uint32_t body_len, uint32_t *start)
{
	uint8_t digits[8];
	uint32_t dn = ps_fix_put_u64(digits, body_len);
	uint32_t plen = 12 + dn + 1; /* "8=FIX.4.4<SOH>9=" + digits + SOH */
	uint8_t *p = buf + PS_FIX_PREFIX_ROOM - plen;
	static const uint8_t begin_string[12] = { '8', '=', 'F', 'I',        'X', '.',
						  '4', '.', '4', PS_FIX_SOH, '9', '=' };
	memcpy(p, begin_string, 12);
	memcpy(p + 12, digits, dn);
	p[12 + dn] = PS_FIX_SOH;
	uint32_t len = plen + body_len;
	uint32_t ck = ps_fix_checksum(p, len);
	uint8_t *t = p + len;
	t[0] = '1';
	t[1] = '0';
	t[2] = '=';
	t[3] = (uint8_t)('0' + ck / 100);
	t[4] = (uint8_t)('0' + ck / 10 % 10);
	t[5] = (uint8_t)('0' + ck % 10);
	t[6] = PS_FIX_SOH;
	*start = PS_FIX_PREFIX_ROOM - plen;
	return len + PS_FIX_TRAILER_LEN;
}

/* NewOrderSingle (35=D) body fields. */
struct ps_fix_new_order {
	const char *cl_ord_id; /* 11 */
	const char *symbol;    /* 55 */
	uint32_t cl_ord_id_len, symbol_len;
	char side;     /* 54: '1' buy, '2' sell */
	char ord_type; /* 40: '1' market, '2' limit */
	char tif;      /* 59: '0' day, '3' IOC */
	uint64_t qty;  /* 38 */
	int64_t price; /* 44 (limit only), at scale */
	uint32_t scale;
};

/*
 * Encodes a complete NewOrderSingle with MsgSeqNum seq into buf (at least
 * 256 + symbol + ClOrdID bytes). @param start out: offset of the message in
 * buf. @return its length.
 */
static inline uint32_t ps_fix_enc_new_order(struct ps_fix_enc *e, uint8_t *buf, uint64_t seq,
					    uint64_t now_ns, const struct ps_fix_new_order *o,
					    uint32_t *start)
{
	uint32_t n = ps_fix_enc_begin(e, buf, "D", seq, now_ns);
	n = ps_fix_add_str(buf, n, 11, o->cl_ord_id, o->cl_ord_id_len);
	n = ps_fix_add_char(buf, n, 21, '1');
	n = ps_fix_add_str(buf, n, 55, o->symbol, o->symbol_len);
	n = ps_fix_add_char(buf, n, 54, o->side);
	n = ps_fix_add_time(e, buf, n, 60, now_ns);
	n = ps_fix_add_u64(buf, n, 38, o->qty);
	n = ps_fix_add_char(buf, n, 40, o->ord_type);
	if (o->ord_type == '2')
		n = ps_fix_add_decimal(buf, n, 44, o->price, o->scale);
	n = ps_fix_add_char(buf, n, 59, o->tif);
	return ps_fix_enc_finish(buf, n, start);
}

#endif /* PS_FIX_H */
