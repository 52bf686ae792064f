# Thin wrapper over CMake. The two commands a new user needs: `make demo` and `make test`.
JOBS ?= $(shell nproc)
BUILD ?= build
CMAKE_FLAGS ?=
CTEST_FLAGS ?= --output-on-failure

.PHONY: all deps build test sanitize asan tsan fuzz bench demo lint format clean

all: build

deps:
	@bash scripts/deps.sh

# The generated Makefile, not CMakeCache.txt: a configure that failed (a
# package missing before `make deps`) leaves a cache behind but no Makefile,
# and the next `make build` must configure again.
$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

test: deps build
	cd $(BUILD) && ctest $(CTEST_FLAGS) -j $(JOBS)

# ASan+UBSan over every test; TSan over the multi-threaded stress tests;
# each libFuzzer target for a bounded time. The ASan build is also the
# portable one (PS_NATIVE=OFF: no -march=native), so CI builds that too.
sanitize: deps asan tsan fuzz

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DPS_SANITIZE=address -DPS_BUILD_BENCH=OFF -DPS_NATIVE=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest $(CTEST_FLAGS) -j $(JOBS) -LE stress
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		PS_STRESS_SCALE=0.1 ctest $(CTEST_FLAGS) -L stress

tsan:
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPS_SANITIZE=thread -DPS_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest $(CTEST_FLAGS) -L stress

fuzz:
	CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS)
	bash scripts/fuzz.sh build-fuzz $${PS_FUZZ_SECONDS:-30}

bench: deps build
	bash scripts/bench.sh $(BUILD)

demo: deps build
	bash scripts/demo.sh $(BUILD)

lint:
	bash scripts/lint.sh

format:
	git ls-files '*.c' '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build build-asan build-tsan build-fuzz
