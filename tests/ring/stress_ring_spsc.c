/*
 * Two pinned threads drive one SPSC slot ring through every producer and
 * consumer call (single, burst, claim/commit, claim_burst; dequeue, burst,
 * peek/release, peek_burst) and check that every object arrives once, in
 * order and intact, and that both sides' checksums agree. Sizes scale with
 * PS_STRESS_SCALE; each run is capped in wall-clock time.
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

#include <ps/ring_spsc.h>

#include "stress_common.h"

#define MAX_SLOT  64u
#define MAX_BURST 37u

struct run {
	struct ps_ring_spsc ring;
	struct stress_ctl ctl;
	uint64_t items;
	uint32_t slot_len;
	alignas(64) uint64_t sent_sum; /* producer only until join */
	alignas(64) uint64_t recv_sum; /* consumer only until join */
	uint64_t recv_count;
	uint64_t bad_seq; /* first mismatching object, for the message */
};

/* Object seq: word 0 is seq, the rest mix(seq) + i. */
static uint64_t make_obj(uint8_t *obj, uint32_t slot_len, uint64_t seq)
{
	uint64_t w = seq, sum = seq, m = slot_len > 8 ? stress_mix(seq) : 0;

	memcpy(obj, &w, 8);
	for (uint32_t i = 1; i < slot_len / 8; i++) {
		w = m + i;
		memcpy(obj + i * 8, &w, 8);
		sum += w;
	}
	return sum;
}

/* Returns false if obj is not object seq; adds its words to *sum. */
static bool check_obj(const uint8_t *obj, uint32_t slot_len, uint64_t seq, uint64_t *sum)
{
	uint64_t w, m = slot_len > 8 ? stress_mix(seq) : 0;
	bool ok;

	memcpy(&w, obj, 8);
	ok = w == seq;
	*sum += w;
	for (uint32_t i = 1; i < slot_len / 8; i++) {
		memcpy(&w, obj + i * 8, 8);
		ok &= w == m + i;
		*sum += w;
	}
	return ok;
}

static void *producer(void *arg)
{
	struct run *run = arg;
	struct ps_ring_spsc *r = &run->ring;
	uint32_t len = run->slot_len, tick = 0;
	uint8_t buf[MAX_BURST * MAX_SLOT];
	struct stress_wait w = { 0 };
	uint64_t seq = 0, sum = 0;

	stress_pin(0);
	for (uint32_t op = 0; seq < run->items; op++) {
		uint64_t left = run->items - seq;
		uint32_t k = 1 + (uint32_t)(seq % MAX_BURST), done = 0;
		uint8_t *slot;

		if (k > left)
			k = (uint32_t)left;
		switch (op & 3) {
		case 0: {
			uint64_t s = make_obj(buf, len, seq);

			if (ps_ring_spsc_enqueue(r, buf)) {
				sum += s;
				done = 1;
			}
			break;
		}
		case 1: {
			uint64_t s = 0;

			for (uint32_t i = 0; i < k; i++)
				s += make_obj(buf + i * len, len, seq + i);
			done = ps_ring_spsc_enqueue_burst(r, buf, k);
			if (done == k) {
				sum += s;
			} else {
				for (uint32_t i = 0; i < done; i++)
					sum += make_obj(buf + i * len, len, seq + i);
			}
			break;
		}
		case 2:
			slot = ps_ring_spsc_claim(r);
			if (slot != NULL) {
				sum += make_obj(slot, len, seq);
				ps_ring_spsc_commit(r);
				done = 1;
			}
			break;
		default:
			slot = ps_ring_spsc_claim_burst(r, k, &done);
			if (slot != NULL) {
				/* Commit all but the last claimed slot when we can, to
				 * exercise a commit smaller than the claim. */
				if (done > 1)
					done--;
				for (uint32_t i = 0; i < done; i++)
					sum += make_obj(slot + i * len, len, seq + i);
				ps_ring_spsc_commit_burst(r, done);
			}
			break;
		}
		seq += done;
		if (done == 0) {
			if (stress_stop(&run->ctl, &tick))
				break;
			stress_wait(&w);
		} else {
			w.spins = 0;
		}
	}
	run->sent_sum = sum;
	return NULL;
}

static void *consumer(void *arg)
{
	struct run *run = arg;
	struct ps_ring_spsc *r = &run->ring;
	uint32_t len = run->slot_len, tick = 0;
	uint8_t buf[MAX_BURST * MAX_SLOT];
	struct stress_wait w = { 0 };
	uint64_t seq = 0, sum = 0;
	bool ok = true;

	stress_pin(1);
	for (uint32_t op = 0; seq < run->items && ok; op++) {
		uint32_t k = 1 + (uint32_t)((seq * 7) % MAX_BURST), done = 0;
		const uint8_t *slot;

		switch (op & 3) {
		case 0:
			if (ps_ring_spsc_dequeue(r, buf)) {
				ok = check_obj(buf, len, seq, &sum);
				done = 1;
			}
			break;
		case 1:
			done = ps_ring_spsc_dequeue_burst(r, buf, k);
			for (uint32_t i = 0; i < done; i++)
				ok &= check_obj(buf + i * len, len, seq + i, &sum);
			break;
		case 2:
			slot = ps_ring_spsc_peek(r);
			if (slot != NULL) {
				ok = check_obj(slot, len, seq, &sum);
				ps_ring_spsc_release(r);
				done = 1;
			}
			break;
		default:
			slot = ps_ring_spsc_peek_burst(r, k, &done);
			for (uint32_t i = 0; i < done; i++)
				ok &= check_obj(slot + i * len, len, seq + i, &sum);
			if (done > 0)
				ps_ring_spsc_release_burst(r, done);
			break;
		}
		if (!ok) {
			run->bad_seq = seq;
			stress_fail(&run->ctl, STRESS_BAD_DATA);
			break;
		}
		seq += done;
		if (done == 0) {
			if (stress_stop(&run->ctl, &tick))
				break;
			stress_wait(&w);
		} else {
			w.spins = 0;
		}
	}
	run->recv_sum = sum;
	run->recv_count = seq;
	return NULL;
}

static void run_stress(uint32_t count, uint32_t slot_len, uint64_t items)
{
	struct run *run = NULL;
	void *mem = NULL;
	pthread_t p, c;
	double t0, dt;

	assert_int_equal(posix_memalign((void **)&run, 64, sizeof(*run)), 0);
	assert_int_equal(posix_memalign(&mem, 64, ps_ring_spsc_memsize(count, slot_len)), 0);
	memset(run, 0, sizeof(*run));
	assert_int_equal(ps_ring_spsc_init(&run->ring, mem, count, slot_len), 0);
	stress_ctl_init(&run->ctl);
	run->items = items;
	run->slot_len = slot_len;
	t0 = stress_now_s();
	assert_int_equal(pthread_create(&c, NULL, consumer, run), 0);
	assert_int_equal(pthread_create(&p, NULL, producer, run), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_int_equal(pthread_join(c, NULL), 0);
	dt = stress_now_s() - t0;
	printf("ring_spsc stress: count=%u slot_len=%u items=%llu in %.2f s (%.1f M/s)\n", count,
	       slot_len, (unsigned long long)run->recv_count, dt,
	       (double)run->recv_count / dt / 1e6);
	if (atomic_load(&run->ctl.failed) == STRESS_TIMEOUT)
		fail_msg("timed out after %.0f s: %llu of %llu items received", STRESS_CAP_S,
			 (unsigned long long)run->recv_count, (unsigned long long)items);
	if (atomic_load(&run->ctl.failed) == STRESS_BAD_DATA)
		fail_msg("object %llu arrived wrong (lost, duplicated, reordered or torn)",
			 (unsigned long long)run->bad_seq);
	assert_int_equal(run->recv_count, items);
	assert_int_equal(run->recv_sum, run->sent_sum);
	assert_int_equal(ps_ring_spsc_count(&run->ring), 0);
	ps_ring_spsc_fini(&run->ring);
	free(mem);
	free(run);
}

static void stress_ring_spsc_24b_count_128(void **state)
{
	(void)state;
	run_stress(128, 24, stress_scaled(50000000));
}

static void stress_ring_spsc_64b_count_4096(void **state)
{
	(void)state;
	run_stress(4096, 64, stress_scaled(20000000));
}

static void stress_ring_spsc_8b_count_1(void **state)
{
	(void)state;
	run_stress(1, 8, stress_scaled(200000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_ring_spsc_24b_count_128),
		cmocka_unit_test(stress_ring_spsc_64b_count_4096),
		cmocka_unit_test(stress_ring_spsc_8b_count_1),
	};
	return cmocka_run_group_tests_name("ring_spsc_stress", tests, NULL, NULL);
}
