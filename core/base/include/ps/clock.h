/*
 * Time: the TSC as the hot-path clock, calibrated to nanoseconds once at start.
 *
 * ps_tsc() is one RDTSC (about 12 ns virtualised, less on bare metal) and
 * ps_tsc_to_ns() is one 64x64->128 multiply and a shift: no division and no
 * syscall on the hot path. ps_clock_init() measures the TSC rate against
 * CLOCK_MONOTONIC over a few short rounds (about 20 ms in all) and fixes the
 * multiplier; call it once at start, before any thread reads the clock.
 *
 * Invariant TSC: the TSC is used only when it ticks at a constant rate in all
 * power states (CPUID 0x80000007 EDX bit 8, or both "constant_tsc" and
 * "nonstop_tsc" in /proc/cpuinfo). Otherwise, or when PS_CLOCK_F_NO_TSC or
 * the environment variable PS_CLOCK_NO_TSC=1 asks for it, the clock falls back
 * to CLOCK_MONOTONIC: ps_tsc() then returns nanoseconds (clock_gettime
 * through the vDSO, about 25 ns here), ps_tsc_to_ns() is the identity and
 * ps_tsc_ghz() returns 1.0. Code written against ps_tsc()/ps_tsc_to_ns()
 * works unchanged in both modes. Before ps_clock_init() the clock is in the
 * fallback mode, so early readings are consistent nanoseconds too.
 *
 * Worst cases: a TSC reading is only comparable with readings from the same
 * calibration (do not persist raw TSC across runs); RDTSC is not ordered with
 * surrounding loads, use ps_tscp() to stamp the end of a measured region; on
 * a VM that migrates between hosts with different TSC rates the calibration
 * goes stale (the readiness check in tuning/ flags such hosts).
 *
 * Thread-safety: ps_clock_init() and ps_clock_init_flags() must run before
 * other threads read the clock (they write the globals below once). All other
 * functions are thread-safe.
 */
#ifndef PS_CLOCK_H
#define PS_CLOCK_H

#include <ps/common.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* Flags for ps_clock_init_flags(). */
#define PS_CLOCK_F_NO_TSC      (1u << 0) /* force the CLOCK_MONOTONIC fallback */
#define PS_CLOCK_F_REQUIRE_TSC (1u << 1) /* fail with PS_ENOTSC instead of falling back */
#define PS_CLOCK_F_MASK        (PS_CLOCK_F_NO_TSC | PS_CLOCK_F_REQUIRE_TSC)

/*
 * Calibration, written only by ps_clock_init*() before threads start, read
 * everywhere after (plain loads: the thread-creation happens-before edge
 * publishes them). Internal: use the functions below.
 * ns = (cycles * mult) >> PS_CLOCK__SHIFT.
 */
#define PS_CLOCK__SHIFT 32
struct ps_clock__state {
	uint64_t mult;    /* ns per cycle, fixed point with PS_CLOCK__SHIFT fraction bits */
	bool use_tsc;     /* false: fallback, ps_tsc() returns CLOCK_MONOTONIC ns */
	bool invariant;   /* what the CPU reported, whatever mode was chosen */
	double ghz;       /* measured TSC rate; 1.0 in fallback mode */
	uint64_t ns_mult; /* cycles per ns, fixed point, for ps_clock_ns_to_tsc */
};
PS_API extern struct ps_clock__state ps_clock__g;

/**
 * Calibrate the clock (same as ps_clock_init_flags(0)). Takes about 20 ms.
 * Honours PS_CLOCK_NO_TSC=1 in the environment.
 * @return 0 (also when it fell back to CLOCK_MONOTONIC; see ps_clock_uses_tsc()).
 */
PS_API int ps_clock_init(void);

/**
 * Calibrate with flags (PS_CLOCK_F_*).
 * @return 0; -EINVAL on unknown flag bits or both NO_TSC and REQUIRE_TSC;
 *   PS_ENOTSC when PS_CLOCK_F_REQUIRE_TSC is set and the TSC is not invariant
 *   (the clock is then left in fallback mode).
 */
PS_API int ps_clock_init_flags(unsigned flags);

/* CLOCK_MONOTONIC in ns (vDSO; no syscall on Linux x86-64). */
static inline uint64_t ps_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Current time in clock units: TSC cycles, or ns in fallback mode. Hot path.
 * Not ordered against earlier loads/stores; good for stamping an arrival. */
static inline uint64_t ps_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (ps_likely(ps_clock__g.use_tsc))
		return __rdtsc();
#endif
	return ps_now_ns();
}

/* As ps_tsc(), but RDTSCP: waits until earlier instructions have executed,
 * so it stamps the end of a measured region. */
static inline uint64_t ps_tscp(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (ps_likely(ps_clock__g.use_tsc)) {
		unsigned aux;
		return __rdtscp(&aux);
	}
#endif
	return ps_now_ns();
}

/* Clock units (a difference or an absolute reading) to ns. Hot path: one
 * multiply, no division. Exact identity in fallback mode. */
static inline uint64_t ps_tsc_to_ns(uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * ps_clock__g.mult) >> PS_CLOCK__SHIFT);
}

/* ns to clock units (for deadlines expressed in cycles). */
static inline uint64_t ps_clock_ns_to_tsc(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * ps_clock__g.ns_mult) >> PS_CLOCK__SHIFT);
}

/* Measured TSC rate in GHz (cycles per ns); 1.0 in fallback mode. */
PS_API double ps_tsc_ghz(void);

/* True when ps_tsc() reads the TSC; false in fallback mode. */
PS_API bool ps_clock_uses_tsc(void);

/* Wall-clock time (CLOCK_REALTIME), ns since the epoch: for stamps other
 * programs line up with (metrics lines, FIX SendingTime). A system call where
 * the vDSO cannot serve it: not for the hot path. */
PS_API uint64_t ps_clock_realtime_ns(void);

/* True when the CPU reports an invariant TSC (CPUID or /proc/cpuinfo). Cold. */
PS_API bool ps_clock_tsc_invariant(void);

#endif /* PS_CLOCK_H */
