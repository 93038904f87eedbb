#!/usr/bin/env bash
# Front-end throughput: mer decode + log-mel vs the ffmpeg CLI and torchaudio,
# measured in the same run (see frontend.py for what is timed).
#   scripts/bench/frontend.sh [--preset NAME] [--n N] [--json] [FILE...]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --peers >/dev/null
[[ -x ${BUILD_DIR:-build}/cli/mer_frontend_bench ]] || scripts/build.sh >/dev/null
exec /usr/bin/python3 scripts/bench/frontend.py "$@"
