# weft: a thin wrapper around CMake. See README.md.
#   make demo                 build and run the tour of the seed examples
#   make test                 build and run the whole test suite (CTest)
#   make bench                build and run the benchmarks, write the report
#   make install PREFIX=dir   install headers, libraries, CMake package, weft.pc
# Variables: BUILD (build folder), CC, CMAKE_ARGS, JOBS, CTEST_ARGS.
BUILD ?= build
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
CTEST_ARGS ?=

.PHONY: all configure build demo test bench install clean

all: build

configure:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	cmake --build $(BUILD) --target demo

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	cmake --build $(BUILD) --target bench

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
