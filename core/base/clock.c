#include <ps/clock.h>
#include <ps/err.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* Fallback (identity) until ps_clock_init*() runs. */
struct ps_clock__state ps_clock__g = {
	.mult = UINT64_C(1) << PS_CLOCK__SHIFT,
	.use_tsc = false,
	.invariant = false,
	.ghz = 1.0,
	.ns_mult = UINT64_C(1) << PS_CLOCK__SHIFT,
};

/* Calibration interval. 20 ms bounds the rate error by the sampling jitter
 * (~100 ns with the best-of-N bracket below) over 20 ms: about 5 ppm. */
#define CALIB_NS      20000000u
#define CALIB_SAMPLES 7

static bool cpuid_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;
	if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
		return false;
	if (!__get_cpuid(0x80000007u, &a, &b, &c, &d))
		return false;
	return (d >> 8) & 1u; /* EDX bit 8: invariant TSC */
#else
	return false;
#endif
}

/* Linux sets constant_tsc and nonstop_tsc (together: invariant) also on
 * hypervisors that hide CPUID leaf 0x80000007. */
static bool cpuinfo_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool constant = false, nonstop = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		char *save = NULL;
		for (char *tok = strtok_r(line + 5, " \t\n:", &save); tok;
		     tok = strtok_r(NULL, " \t\n:", &save)) {
			if (strcmp(tok, "constant_tsc") == 0)
				constant = true;
			else if (strcmp(tok, "nonstop_tsc") == 0)
				nonstop = true;
		}
		break; /* the first CPU speaks for all */
	}
	fclose(f);
	return constant && nonstop;
}

bool ps_clock_tsc_invariant(void)
{
	return cpuid_invariant() || cpuinfo_invariant();
}

#if defined(__x86_64__) || defined(__i386__)
/* One (tsc, ns) pair: the ns reading bracketed by two TSC reads; the pair
 * with the narrowest bracket over a few tries is the least disturbed by
 * interrupts, and its TSC midpoint is matched to the ns reading. */
static void sample(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < CALIB_SAMPLES; i++) {
		unsigned aux;
		uint64_t t0 = __rdtscp(&aux);
		uint64_t n = ps_now_ns();
		uint64_t t1 = __rdtscp(&aux);
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = n;
		}
	}
}
#endif

static void set_fallback(bool invariant)
{
	ps_clock__g.mult = UINT64_C(1) << PS_CLOCK__SHIFT;
	ps_clock__g.ns_mult = UINT64_C(1) << PS_CLOCK__SHIFT;
	ps_clock__g.ghz = 1.0;
	ps_clock__g.use_tsc = false;
	ps_clock__g.invariant = invariant;
}

PS_COLD int ps_clock_init_flags(unsigned flags)
{
	if ((flags & ~PS_CLOCK_F_MASK) != 0 ||
	    (flags & (PS_CLOCK_F_NO_TSC | PS_CLOCK_F_REQUIRE_TSC)) ==
		(PS_CLOCK_F_NO_TSC | PS_CLOCK_F_REQUIRE_TSC))
		return -EINVAL;

	bool invariant = ps_clock_tsc_invariant();
	const char *env = getenv("PS_CLOCK_NO_TSC");
	bool forced_off = (flags & PS_CLOCK_F_NO_TSC) || (env && strcmp(env, "1") == 0);

	if (!invariant && (flags & PS_CLOCK_F_REQUIRE_TSC)) {
		set_fallback(invariant);
		return PS_ENOTSC;
	}
#if defined(__x86_64__) || defined(__i386__)
	if (invariant && !forced_off) {
		uint64_t tsc0, ns0, tsc1, ns1;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = CALIB_NS };

		sample(&tsc0, &ns0);
		/* A sleep rather than a spin: calibration must not hog a shared core. */
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		sample(&tsc1, &ns1);
		uint64_t dt = tsc1 - tsc0, dn = ns1 - ns0;
		if (dt == 0 || dn == 0 || tsc1 < tsc0) {
			set_fallback(invariant);
			return 0;
		}
		ps_clock__g.mult = (uint64_t)(((unsigned __int128)dn << PS_CLOCK__SHIFT) / dt);
		ps_clock__g.ns_mult = (uint64_t)(((unsigned __int128)dt << PS_CLOCK__SHIFT) / dn);
		ps_clock__g.ghz = (double)dt / (double)dn;
		ps_clock__g.invariant = invariant;
		ps_clock__g.use_tsc = true;
		return 0;
	}
#endif
	set_fallback(invariant);
	return 0;
}

PS_COLD int ps_clock_init(void)
{
	return ps_clock_init_flags(0);
}

uint64_t ps_clock_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double ps_tsc_ghz(void)
{
	return ps_clock__g.ghz;
}

bool ps_clock_uses_tsc(void)
{
	return ps_clock__g.use_tsc;
}
