/*
 * One pinned writer publishes numbered snapshots through a seqlock while two
 * readers copy them, through the copy helpers and through the manual
 * begin/retry protocol, and check that no copy is torn and that versions
 * never go backwards. Sizes scale with PS_STRESS_SCALE; capped in time.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ps/seqlock.h>

#include "stress_common.h"

/* 8 words and a ragged 3-byte tail, so both copy paths run. */
#define SNAP_WORDS 8
#define SNAP_LEN   (SNAP_WORDS * 8 + 3)

struct run {
	struct ps_seqlock sl;
	alignas(64) uint8_t snap[SNAP_LEN + 5]; /* shared; written only by the writer */
	struct stress_ctl ctl;
	uint64_t writes;
	alignas(64) uint64_t reads[2];
	uint64_t retries[2];
	uint64_t torn[2];
};

static void make_snap(uint8_t *p, uint64_t v)
{
	for (uint64_t i = 0; i < SNAP_WORDS; i++) {
		uint64_t w = v * (i + 1) + i;

		memcpy(p + i * 8, &w, 8);
	}
	for (int i = 0; i < 3; i++)
		p[SNAP_WORDS * 8 + i] = (uint8_t)(v + (uint64_t)i);
}

/* The version of a consistent snapshot, or UINT64_MAX if it is torn. */
static uint64_t snap_version(const uint8_t *p)
{
	uint8_t want[SNAP_LEN];
	uint64_t v;

	memcpy(&v, p, 8);
	make_snap(want, v);
	return memcmp(want, p, SNAP_LEN) == 0 ? v : UINT64_MAX;
}

static void *writer(void *arg)
{
	struct run *run = arg;
	uint8_t buf[SNAP_LEN];
	uint32_t tick = 0;

	stress_pin(0);
	for (uint64_t v = 1; v <= run->writes; v++) {
		make_snap(buf, v);
		ps_seqlock_write(&run->sl, run->snap, buf, SNAP_LEN);
		/* Let readers on a shared core in now and then. */
		if ((v & 1023) == 0) {
			if (stress_stop(&run->ctl, &tick))
				break;
			if ((v & 65535) == 0)
				sched_yield();
		}
	}
	return NULL;
}

struct reader_arg {
	struct run *run;
	int id;
};

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	struct run *run = ra->run;
	uint8_t buf[SNAP_LEN];
	uint64_t last = 0, n = 0, retries = 0, torn = 0;
	uint32_t tick = 0;

	if (ra->id == 0)
		stress_pin(1);
	while (last < run->writes) {
		uint64_t v;

		if (n & 1) {
			retries += ps_seqlock_read(&run->sl, buf, run->snap, SNAP_LEN);
		} else {
			/* The manual protocol, with relaxed atomic loads. */
			uint32_t s;

			for (;;) {
				s = ps_seqlock_read_begin(&run->sl);
				for (int i = 0; i < SNAP_WORDS; i++) {
					uint64_t w = __atomic_load_n(
					    (const uint64_t *)(const void *)(run->snap + i * 8),
					    __ATOMIC_RELAXED);

					memcpy(buf + i * 8, &w, 8);
				}
				for (int i = SNAP_WORDS * 8; i < SNAP_LEN; i++)
					buf[i] = __atomic_load_n(run->snap + i, __ATOMIC_RELAXED);
				if (!ps_seqlock_read_retry(&run->sl, s))
					break;
				retries++;
			}
		}
		n++;
		v = snap_version(buf);
		if (v == UINT64_MAX || v < last) {
			torn++;
			stress_fail(&run->ctl, STRESS_BAD_DATA);
			break;
		}
		last = v;
		if (stress_stop(&run->ctl, &tick))
			break;
		if ((n & 1023) == 0)
			sched_yield();
	}
	run->reads[ra->id] = n;
	run->retries[ra->id] = retries;
	run->torn[ra->id] = torn;
	return NULL;
}

static void stress_ring_seqlock_writer_and_two_readers(void **state)
{
	struct run *run = NULL;
	pthread_t w, r[2];
	struct reader_arg ra[2];
	uint8_t zero[SNAP_LEN];
	double t0, dt;

	(void)state;
	assert_int_equal(posix_memalign((void **)&run, 64, sizeof(*run)), 0);
	memset(run, 0, sizeof(*run));
	ps_seqlock_init(&run->sl);
	make_snap(zero, 0);
	memcpy(run->snap, zero, SNAP_LEN);
	stress_ctl_init(&run->ctl);
	run->writes = stress_scaled(50000000);
#ifdef PS_SANITIZE_THREAD
	/* Under TSan readers retry far more often (the writer outruns them), so
	 * a fifth of the usual TSan share keeps this run to a few seconds. */
	run->writes /= 5;
#endif
	t0 = stress_now_s();
	for (int i = 0; i < 2; i++) {
		ra[i].run = run;
		ra[i].id = i;
		assert_int_equal(pthread_create(&r[i], NULL, reader, &ra[i]), 0);
	}
	assert_int_equal(pthread_create(&w, NULL, writer, run), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(r[i], NULL), 0);
	dt = stress_now_s() - t0;
	printf("seqlock stress: %llu writes, reads %llu + %llu, retries %llu + %llu in %.2f s\n",
	       (unsigned long long)run->writes, (unsigned long long)run->reads[0],
	       (unsigned long long)run->reads[1], (unsigned long long)run->retries[0],
	       (unsigned long long)run->retries[1], dt);
	if (atomic_load(&run->ctl.failed) == STRESS_TIMEOUT)
		fail_msg("timed out after %.0f s", STRESS_CAP_S);
	assert_int_equal(run->torn[0] + run->torn[1], 0);
	assert_int_equal(atomic_load(&run->ctl.failed), STRESS_OK);
	assert_true(run->reads[0] > 0 && run->reads[1] > 0);
	assert_int_equal(atomic_load(&run->sl.seq), 2 * run->writes);
	free(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_ring_seqlock_writer_and_two_readers),
	};
	return cmocka_run_group_tests_name("ring_seqlock_stress", tests, NULL, NULL);
}
