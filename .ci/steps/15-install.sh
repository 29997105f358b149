# .ci/steps/15-install.sh: the install checks need pkg-config; without it the
# consumers.install test of `make test` skips its pkg-config half. Install it and
# run the consumer tests (C11 pedantic, C++, cmake --install + find_package +
# pkg-config) again in the default build.
# Sourced by .ci/run (need, step are defined there).
need pkg-config g++
step "install and consumers" bash -c 'cd build && ctest --output-on-failure -L consumers'
