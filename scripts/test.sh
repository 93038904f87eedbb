#!/usr/bin/env bash
# The whole check on a fresh Debian machine: install what is missing, build,
# run every test (unit tests, mpirun integration tests, golden-value checks).
#   scripts/test.sh            everything
#   scripts/test.sh -R REGEX   only the CTest tests matching REGEX
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# --music: the wesnoth Oggs that dsp_band_test compares with their 56 kbps
# transcodes (it skips, saying why, without them). --browser: Chromium and
# puppeteer-core for the web page test (tests/browser).
scripts/install-deps.sh --peers --music --browser
if command -v ccache >/dev/null; then ccache --max-size=5G >/dev/null; fi
scripts/build.sh
build_dir=${BUILD_DIR:-build}
echo "test.sh: build done in $(( $(date +%s) - start )) s"
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j"${CTEST_JOBS:-2}" "$@"
echo "test.sh: total $(( $(date +%s) - start )) s"
