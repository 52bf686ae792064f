/*
 * FIX 4.4 dictionary checks and encoder set-up. See <ps/fix.h>.
 *
 * The dictionary is a compact subset of FIX 4.4: the data types of the
 * tags whose format we check, the header and trailer tags, the fields of
 * the session messages and of the order-entry messages (with the
 * repeating groups they use), and their required fields. Tags outside
 * 1..956 are not FIX 4.4 tags (user-defined tags 5000+ are not accepted).
 */
#include <ps/fix.h>

#include <errno.h>
#include <time.h>

#define MAX_TAG 956

enum ftype { T_STR = 0, T_INT, T_FLOAT, T_UTCTS, T_BOOL, T_CHAR, T_LEN };

/* Data type of each tag whose format is checked; T_STR (0) for the rest. A
 * table, not a switch: validation looks up every field. */
static const uint8_t tag_type[MAX_TAG + 1] = {
	/* T_INT */
	[7] = T_INT,
	[16] = T_INT,
	[34] = T_INT,
	[36] = T_INT,
	[45] = T_INT,
	[78] = T_INT,
	[98] = T_INT,
	[102] = T_INT,
	[103] = T_INT,
	[108] = T_INT,
	[146] = T_INT,
	[371] = T_INT,
	[373] = T_INT,
	[380] = T_INT,
	[383] = T_INT,
	[384] = T_INT,
	[386] = T_INT,
	[434] = T_INT,
	[453] = T_INT,
	[454] = T_INT,
	[789] = T_INT,
	/* T_LEN */
	[9] = T_LEN,
	[90] = T_LEN,
	[93] = T_LEN,
	[95] = T_LEN,
	[212] = T_LEN,
	[348] = T_LEN,
	[350] = T_LEN,
	[352] = T_LEN,
	[354] = T_LEN,
	[356] = T_LEN,
	[358] = T_LEN,
	[360] = T_LEN,
	[362] = T_LEN,
	[364] = T_LEN,
	[445] = T_LEN,
	[618] = T_LEN,
	[621] = T_LEN,
	/* T_FLOAT */
	[6] = T_FLOAT,
	[12] = T_FLOAT,
	[14] = T_FLOAT,
	[31] = T_FLOAT,
	[32] = T_FLOAT,
	[38] = T_FLOAT,
	[44] = T_FLOAT,
	[80] = T_FLOAT,
	[99] = T_FLOAT,
	[110] = T_FLOAT,
	[111] = T_FLOAT,
	[132] = T_FLOAT,
	[133] = T_FLOAT,
	[134] = T_FLOAT,
	[135] = T_FLOAT,
	[151] = T_FLOAT,
	[152] = T_FLOAT,
	[210] = T_FLOAT,
	/* T_UTCTS */
	[52] = T_UTCTS,
	[60] = T_UTCTS,
	[122] = T_UTCTS,
	[126] = T_UTCTS,
	[168] = T_UTCTS,
	/* T_BOOL */
	[43] = T_BOOL,
	[97] = T_BOOL,
	[113] = T_BOOL,
	[114] = T_BOOL,
	[123] = T_BOOL,
	[141] = T_BOOL,
	[464] = T_BOOL,
	/* T_CHAR */
	[4] = T_CHAR,
	[13] = T_CHAR,
	[21] = T_CHAR,
	[39] = T_CHAR,
	[40] = T_CHAR,
	[54] = T_CHAR,
	[59] = T_CHAR,
	[150] = T_CHAR,
	[165] = T_CHAR,
};

static enum ftype type_of(int32_t tag)
{
	return tag >= 0 && tag <= MAX_TAG ? (enum ftype)tag_type[tag] : T_STR;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool digits(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

static bool valid_int(const uint8_t *p, uint32_t n)
{
	if (n && p[0] == '-') {
		p++;
		n--;
	}
	return n > 0 && digits(p, n);
}

static bool valid_float(const uint8_t *p, uint32_t n)
{
	if (n && p[0] == '-') {
		p++;
		n--;
	}
	uint32_t d = 0;
	bool dot = false;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (is_digit(p[i])) {
			d++;
		} else {
			return false;
		}
	}
	return d > 0;
}

/* YYYYMMDD-HH:MM:SS[.sss] */
static bool valid_utcts(const uint8_t *p, uint32_t n)
{
	if (n != 17 && n != 21)
		return false;
	if (!digits(p, 8) || p[8] != '-' || !digits(p + 9, 2) || p[11] != ':' ||
	    !digits(p + 12, 2) || p[14] != ':' || !digits(p + 15, 2))
		return false;
	if (n == 21 && (p[17] != '.' || !digits(p + 18, 3)))
		return false;
	return true;
}

static bool valid_format(int32_t tag, const uint8_t *p, uint32_t n)
{
	switch (type_of(tag)) {
	case T_INT:
		return valid_int(p, n);
	case T_LEN:
		return n > 0 && digits(p, n);
	case T_FLOAT:
		return valid_float(p, n);
	case T_UTCTS:
		return valid_utcts(p, n);
	case T_BOOL:
		return n == 1 && (p[0] == 'Y' || p[0] == 'N');
	case T_CHAR:
		return n == 1;
	default:
		return true;
	}
}

/* Header tags (8, 9, 35 included), as a table: validation asks for every
 * field. */
static const uint8_t header_tag[MAX_TAG + 1] = {
	[8] = 1,   [9] = 1,   [34] = 1,  [35] = 1,  [43] = 1,  [49] = 1,  [50] = 1,  [52] = 1,
	[56] = 1,  [57] = 1,  [90] = 1,  [91] = 1,  [97] = 1,  [115] = 1, [116] = 1, [122] = 1,
	[128] = 1, [129] = 1, [142] = 1, [143] = 1, [144] = 1, [145] = 1, [212] = 1, [213] = 1,
	[347] = 1, [369] = 1, [370] = 1, [627] = 1, [628] = 1, [629] = 1, [630] = 1
};

bool ps_fix_is_header_tag(int32_t tag)
{
	return tag >= 0 && tag <= MAX_TAG && header_tag[tag];
}

static bool is_trailer_tag(int32_t tag)
{
	return tag == 93 || tag == 89 || tag == 10;
}

/* Repeating groups we check: count tag, first (delimiter) tag, members. */
struct group {
	int32_t count_tag;
	int32_t members[8]; /* members[0] is the delimiter; 0-terminated */
};

static const struct group groups[] = {
	{ 386, { 336, 625, 0 } },                  /* NoTradingSessions */
	{ 453, { 448, 447, 452, 802, 0 } },        /* NoPartyIDs */
	{ 802, { 523, 803, 0 } },                  /* NoPartySubIDs */
	{ 454, { 455, 456, 0 } },                  /* NoSecurityAltID */
	{ 78, { 79, 661, 736, 467, 539, 80, 0 } }, /* NoAllocs */
	{ 384, { 372, 385, 0 } },                  /* NoMsgTypes (Logon) */
};

/* groups[] index + 1 of each count tag, 0 for the other tags. */
static const uint8_t group_at[MAX_TAG + 1] = {
	[386] = 1, [453] = 2, [802] = 3, [454] = 4, [78] = 5, [384] = 6,
};

static const struct group *group_of(int32_t count_tag)
{
	if (count_tag < 0 || count_tag > MAX_TAG || !group_at[count_tag])
		return NULL;
	return &groups[group_at[count_tag] - 1];
}

static bool in_list(const int32_t *list, int32_t tag)
{
	for (; *list; list++)
		if (*list == tag)
			return true;
	return false;
}

/* Body fields per MsgType: allowed (0-terminated) and required. */
struct msgdef {
	const char *type;
	const int32_t *allowed; /* NULL: any tag */
	const int32_t *required;
};

static const int32_t none[] = { 0 };
static const int32_t hb_allowed[] = { 112, 0 };
static const int32_t tr_required[] = { 112, 0 };
static const int32_t rr_allowed[] = { 7, 16, 0 };
static const int32_t rj_allowed[] = { 45, 371, 372, 373, 58, 354, 355, 0 };
static const int32_t rj_required[] = { 45, 0 };
static const int32_t sr_allowed[] = { 123, 36, 0 };
static const int32_t sr_required[] = { 36, 0 };
static const int32_t lo_allowed[] = { 58, 354, 355, 0 };
static const int32_t ln_allowed[] = { 98,  108, 95,  96,  141, 789, 383, 384,
				      372, 385, 464, 553, 554, 925, 0 };
static const int32_t ln_required[] = { 98, 108, 0 };
static const int32_t nos_required[] = { 11, 55, 54, 60, 40, 0 };
static const int32_t ocr_required[] = { 41, 11, 55, 54, 60, 0 };
static const int32_t ocrr_required[] = { 41, 11, 55, 54, 60, 40, 0 };
static const int32_t er_required[] = { 37, 17, 150, 39, 55, 54, 151, 14, 6, 0 };
static const int32_t ocj_required[] = { 37, 11, 41, 39, 434, 0 };
static const int32_t bmr_required[] = { 45, 380, 0 };

static const struct msgdef msgdefs[] = {
	{ "0", hb_allowed, none },        { "1", hb_allowed, tr_required },
	{ "2", rr_allowed, rr_allowed },  { "3", rj_allowed, rj_required },
	{ "4", sr_allowed, sr_required }, { "5", lo_allowed, none },
	{ "A", ln_allowed, ln_required }, { "D", NULL, nos_required },
	{ "F", NULL, ocr_required },      { "G", NULL, ocrr_required },
	{ "8", NULL, er_required },       { "9", NULL, ocj_required },
	{ "j", NULL, bmr_required },
};

static const struct msgdef *msgdef_of(const struct ps_fix_msg *m)
{
	for (size_t i = 0; i < sizeof(msgdefs) / sizeof(msgdefs[0]); i++)
		if (ps_fix_msg_is(m, msgdefs[i].type))
			return &msgdefs[i];
	return NULL;
}

/* FIX 4.4 MsgTypes: 0-9, A-Z, a-z, and AA..BH. */
static bool valid_msg_type(const struct ps_fix_msg *m)
{
	const uint8_t *t = m->buf + m->type_off;
	if (m->type_len == 1)
		return is_digit(t[0]) || (t[0] >= 'A' && t[0] <= 'Z') ||
		       (t[0] >= 'a' && t[0] <= 'z');
	if (t[0] == 'A')
		return t[1] >= 'A' && t[1] <= 'Z';
	return t[0] == 'B' && t[1] >= 'A' && t[1] <= 'H';
}

static bool fail(struct ps_fix_reject *rej, int reason, int32_t tag, bool has_tag)
{
	rej->reason = reason;
	rej->ref_tag = tag;
	rej->has_ref_tag = has_tag;
	return false;
}

bool ps_fix_validate(const struct ps_fix_msg *m, struct ps_fix_reject *rej)
{
	/* Structure: header, then body, then trailer. */
	bool in_body = false;
	for (uint32_t i = 3; i < m->field_count; i++) {
		int32_t tag = m->fields[i].tag;
		if (ps_fix_is_header_tag(tag)) {
			if (in_body)
				return fail(rej, PS_FIX_REJ_OUT_OF_ORDER, tag, true);
		} else if (!is_trailer_tag(tag)) {
			in_body = true;
		}
	}
	if (!valid_msg_type(m))
		return fail(rej, PS_FIX_REJ_INVALID_MSG_TYPE, 0, false);
	const struct msgdef *def = msgdef_of(m);
	uint64_t seen[(MAX_TAG + 64) / 64] = { 0 };
	for (uint32_t i = 3; i < m->field_count; i++) {
		const struct ps_fix_field *f = &m->fields[i];
		int32_t tag = f->tag;
		const uint8_t *v = m->buf + f->off;
		if (tag < 1 || tag > MAX_TAG)
			return fail(rej, PS_FIX_REJ_INVALID_TAG, tag, true);
		if (f->len == 0)
			return fail(rej, PS_FIX_REJ_NO_VALUE, tag, true);
		if (!valid_format(tag, v, f->len))
			return fail(rej, PS_FIX_REJ_BAD_FORMAT, tag, true);
		bool hdr = ps_fix_is_header_tag(tag) || is_trailer_tag(tag);
		if (!hdr && def && def->allowed && !in_list(def->allowed, tag))
			return fail(rej, PS_FIX_REJ_TAG_NOT_FOR_MSG_TYPE, tag, true);
		const struct group *g = group_of(tag);
		if (g) {
			uint64_t want = 0;
			ps_fix_view_u64(v, f->len, &want);
			uint64_t got = 0;
			uint32_t j = i + 1;
			for (; j < m->field_count && in_list(g->members, m->fields[j].tag); j++) {
				if (m->fields[j].tag == g->members[0])
					got++;
				else if (got == 0)
					return fail(rej, PS_FIX_REJ_GROUP_ORDER, m->fields[j].tag,
						    true);
			}
			if (got != want)
				return fail(rej, PS_FIX_REJ_GROUP_COUNT, tag, true);
			if (seen[tag / 64] & (1ull << (tag % 64)))
				return fail(rej, PS_FIX_REJ_TAG_REPEATED, tag, true);
			seen[tag / 64] |= 1ull << (tag % 64);
			i = j - 1;
			continue;
		}
		if (seen[tag / 64] & (1ull << (tag % 64)))
			return fail(rej, PS_FIX_REJ_TAG_REPEATED, tag, true);
		seen[tag / 64] |= 1ull << (tag % 64);
	}
	static const int32_t hdr_required[] = { 49, 56, 34, 52, 0 };
	for (const int32_t *r = hdr_required; *r; r++)
		if (!(seen[*r / 64] & (1ull << (*r % 64))))
			return fail(rej, PS_FIX_REJ_REQUIRED_MISSING, *r, true);
	if (def)
		for (const int32_t *r = def->required; *r; r++)
			if (!(seen[*r / 64] & (1ull << (*r % 64))))
				return fail(rej, PS_FIX_REJ_REQUIRED_MISSING, *r, true);
	return true;
}

const char *ps_fix_reject_text(int reason)
{
	switch (reason) {
	case PS_FIX_REJ_INVALID_TAG:
		return "Invalid tag number";
	case PS_FIX_REJ_REQUIRED_MISSING:
		return "Required tag missing";
	case PS_FIX_REJ_TAG_NOT_FOR_MSG_TYPE:
		return "Tag not defined for this message type";
	case PS_FIX_REJ_UNDEFINED_TAG:
		return "Undefined Tag";
	case PS_FIX_REJ_NO_VALUE:
		return "Tag specified without a value";
	case PS_FIX_REJ_VALUE_OUT_OF_RANGE:
		return "Value is incorrect (out of range) for this tag";
	case PS_FIX_REJ_BAD_FORMAT:
		return "Incorrect data format for value";
	case PS_FIX_REJ_COMP_ID:
		return "CompID problem";
	case PS_FIX_REJ_SENDING_TIME:
		return "SendingTime accuracy problem";
	case PS_FIX_REJ_INVALID_MSG_TYPE:
		return "Invalid MsgType";
	case PS_FIX_REJ_TAG_REPEATED:
		return "Tag appears more than once";
	case PS_FIX_REJ_OUT_OF_ORDER:
		return "Tag specified out of required order";
	case PS_FIX_REJ_GROUP_ORDER:
		return "Repeating group fields out of order";
	case PS_FIX_REJ_GROUP_COUNT:
		return "Incorrect NumInGroup count for repeating group";
	default:
		return "Other";
	}
}

static bool valid_comp(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > PS_FIX_COMP_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == PS_FIX_SOH || s[i] == '=')
			return false;
	return true;
}

int ps_fix_enc_init(struct ps_fix_enc *e, const char *sender, const char *target)
{
	if (!e || !valid_comp(sender) || !valid_comp(target))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	size_t sn = strlen(sender);
	size_t tn = strlen(target);
	memcpy(e->sender, "49=", 3);
	memcpy(e->sender + 3, sender, sn);
	e->sender[3 + sn] = PS_FIX_SOH;
	e->sender_len = (uint32_t)(4 + sn);
	memcpy(e->target, "56=", 3);
	memcpy(e->target + 3, target, tn);
	e->target[3 + tn] = PS_FIX_SOH;
	e->target_len = (uint32_t)(4 + tn);
	ps_fix_enc__set_second(e, 0);
	return 0;
}

void ps_fix_enc__set_second(struct ps_fix_enc *e, uint64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y%m%d-%H:%M:%S.", &tm);
	memcpy(e->ts_text, buf, 18);
	e->ts_sec = sec;
}
