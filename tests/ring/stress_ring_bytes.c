/*
 * Two pinned threads stream variable-length records through one SPSC byte
 * ring (mostly short, some up to the maximum, so padding happens at every
 * offset) and check that every record arrives once, in order, with the
 * right length and content, and that both sides' checksums agree. Sizes
 * scale with PS_STRESS_SCALE; each run is capped in wall-clock time.
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

#include <ps/ring_bytes.h>

#include "stress_common.h"

struct run {
	struct ps_ring_bytes ring;
	struct stress_ctl ctl;
	uint64_t items;
	uint32_t max_len;
	alignas(64) uint64_t sent_sum; /* producer only until join */
	alignas(64) uint64_t recv_sum; /* consumer only until join */
	uint64_t recv_count;
	uint64_t bad_seq;
};

/* Length of record seq: 63 in 64 are 0..63 bytes, the rest up to max_len. */
static uint32_t rec_len(uint64_t seq, uint32_t max_len)
{
	uint64_t m = stress_mix(seq);

	return (m & 63) ? (uint32_t)((m >> 8) & 63) : (uint32_t)((m >> 8) % (max_len + 1));
}

/* Payload of record seq: 8-byte words seq ^ (i * K), then a ragged tail. */
static uint64_t fill(uint8_t *p, uint32_t len, uint64_t seq)
{
	uint64_t sum = 0, w;
	uint32_t i = 0;

	for (; i + 8 <= len; i += 8) {
		w = seq ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
		memcpy(p + i, &w, 8);
		sum += w;
	}
	for (; i < len; i++) {
		p[i] = (uint8_t)(seq + i);
		sum += p[i];
	}
	return sum;
}

static bool check(const uint8_t *p, uint32_t len, uint64_t seq, uint64_t *sum)
{
	uint64_t w;
	uint32_t i = 0;
	bool ok = true;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		ok &= w == (seq ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull));
		*sum += w;
	}
	for (; i < len; i++) {
		ok &= p[i] == (uint8_t)(seq + i);
		*sum += p[i];
	}
	return ok;
}

static void *producer(void *arg)
{
	struct run *run = arg;
	struct ps_ring_bytes *r = &run->ring;
	struct stress_wait w = { 0 };
	uint64_t sum = 0;
	uint32_t tick = 0;

	stress_pin(0);
	for (uint64_t seq = 0; seq < run->items;) {
		uint32_t len = rec_len(seq, run->max_len);
		uint8_t *p = ps_ring_bytes_claim(r, len);

		if (p == NULL) {
			if (stress_stop(&run->ctl, &tick))
				break;
			stress_wait(&w);
			continue;
		}
		w.spins = 0;
		sum += fill(p, len, seq);
		ps_ring_bytes_commit(r);
		seq++;
	}
	run->sent_sum = sum;
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	struct ps_ring_bytes *r = &run->ring;
	struct stress_wait w = { 0 };
	uint64_t seq = 0, sum = 0;
	uint32_t tick = 0;

	stress_pin(1);
	while (seq < run->items) {
		uint32_t len;
		const uint8_t *p = ps_ring_bytes_peek(r, &len);

		if (p == NULL) {
			if (stress_stop(&run->ctl, &tick))
				break;
			stress_wait(&w);
			continue;
		}
		w.spins = 0;
		if (((uintptr_t)p & 7) != 0 || len != rec_len(seq, run->max_len) ||
		    !check(p, len, seq, &sum)) {
			run->bad_seq = seq;
			stress_fail(&run->ctl, STRESS_BAD_DATA);
			break;
		}
		ps_ring_bytes_release(r);
		seq++;
	}
	run->recv_sum = sum;
	run->recv_count = seq;
	return NULL;
}

static void run_stress(uint32_t capacity, uint64_t items)
{
	struct run *run = NULL;
	void *mem = NULL;
	pthread_t p, c;
	double t0, dt;

	assert_int_equal(posix_memalign((void **)&run, 64, sizeof(*run)), 0);
	assert_int_equal(posix_memalign(&mem, 64, ps_ring_bytes_memsize(capacity)), 0);
	memset(run, 0, sizeof(*run));
	assert_int_equal(ps_ring_bytes_init(&run->ring, mem, capacity), 0);
	stress_ctl_init(&run->ctl);
#ifdef PS_SANITIZE_THREAD
	/* TSan instruments every payload byte the test writes and checks: a
	 * quarter of the usual TSan share keeps the run to seconds. */
	items /= 4;
#endif
	run->items = items;
	run->max_len = ps_ring_bytes_max_len(&run->ring);
	t0 = stress_now_s();
	assert_int_equal(pthread_create(&c, NULL, consumer, run), 0);
	assert_int_equal(pthread_create(&p, NULL, producer, run), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_int_equal(pthread_join(c, NULL), 0);
	dt = stress_now_s() - t0;
	printf("ring_bytes stress: capacity=%u records=%llu in %.2f s (%.1f M/s)\n", capacity,
	       (unsigned long long)run->recv_count, dt, (double)run->recv_count / dt / 1e6);
	if (atomic_load(&run->ctl.failed) == STRESS_TIMEOUT)
		fail_msg("timed out after %.0f s: %llu of %llu records received", STRESS_CAP_S,
			 (unsigned long long)run->recv_count, (unsigned long long)items);
	if (atomic_load(&run->ctl.failed) == STRESS_BAD_DATA)
		fail_msg(
		    "record %llu arrived wrong (lost, duplicated, reordered, torn or misaligned)",
		    (unsigned long long)run->bad_seq);
	assert_int_equal(run->recv_count, items);
	assert_int_equal(run->recv_sum, run->sent_sum);
	assert_int_equal(ps_ring_bytes_used(&run->ring), 0);
	ps_ring_bytes_fini(&run->ring);
	free(mem);
	free(run);
}

static void stress_ring_bytes_capacity_4096(void **state)
{
	(void)state;
	run_stress(4096, stress_scaled(50000000));
}

/* A small ring: records up to 120 bytes, padding on most wraps. */
static void stress_ring_bytes_capacity_256(void **state)
{
	(void)state;
	run_stress(256, stress_scaled(5000000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_ring_bytes_capacity_4096),
		cmocka_unit_test(stress_ring_bytes_capacity_256),
	};
	return cmocka_run_group_tests_name("ring_bytes_stress", tests, NULL, NULL);
}
