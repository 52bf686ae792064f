// The one C++ file of perseus-bench: registers every C body found in the
// "ps_bench" section with Google Benchmark and forwards the State calls.
#include <benchmark/benchmark.h>

#include <string>

#include "harness.h"

extern "C" {
extern const struct ps_bench_def __start_ps_bench[] __attribute__((weak));
extern const struct ps_bench_def __stop_ps_bench[] __attribute__((weak));
}

struct ps_bench {
	benchmark::State *state;
	int64_t arg;
};

extern "C" uint64_t ps_bench_batch(struct ps_bench *b, uint64_t max_batch)
{
	benchmark::State &st = *b->state;
	uint64_t left = static_cast<uint64_t>(st.max_iterations) - st.iterations();
	uint64_t n = left < max_batch ? left : max_batch;
	if (n == 0)
		n = 1;
	return st.KeepRunningBatch(static_cast<benchmark::IterationCount>(n)) ? n : 0;
}

extern "C" int64_t ps_bench_arg(const struct ps_bench *b)
{
	return b->arg;
}

extern "C" void ps_bench_counter(struct ps_bench *b, const char *name, double value)
{
	b->state->counters[name] = benchmark::Counter(value);
}

extern "C" void ps_bench_rate(struct ps_bench *b, const char *name, double value)
{
	b->state->counters[name] = benchmark::Counter(value, benchmark::Counter::kIsRate);
}

extern "C" void ps_bench_items(struct ps_bench *b, int64_t items)
{
	b->state->SetItemsProcessed(items);
}

extern "C" void ps_bench_set_iteration_time(struct ps_bench *b, double seconds)
{
	b->state->SetIterationTime(seconds);
}

extern "C" void ps_bench_pause(struct ps_bench *b)
{
	b->state->PauseTiming();
}

extern "C" void ps_bench_resume(struct ps_bench *b)
{
	b->state->ResumeTiming();
}

extern "C" void ps_bench_skip(struct ps_bench *b, const char *why)
{
	b->state->SkipWithError(why);
}

extern "C" void ps_bench_label(struct ps_bench *b, const char *label)
{
	b->state->SetLabel(label);
}

int main(int argc, char **argv)
{
	for (const ps_bench_def *d = __start_ps_bench; d < __stop_ps_bench; d++) {
		const ps_bench_def def = *d;
		auto *reg = benchmark::RegisterBenchmark(def.name, [def](benchmark::State &st) {
			struct ps_bench b = { &st, def.arg };
			def.fn(&b);
		});
		if (def.flags & PS_BENCH_F_MANUAL_TIME)
			reg->UseManualTime();
		if (def.flags & PS_BENCH_F_REAL_TIME)
			reg->UseRealTime();
		if (def.flags & PS_BENCH_F_ONCE)
			reg->Iterations(1);
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
