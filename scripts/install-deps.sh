#!/usr/bin/env bash
# Installs every Debian package mer needs to build, test and run (DESIGN §7).
# Idempotent: when everything is present it only runs dpkg-query (and, with
# --browser, looks for puppeteer-core's package.json) and exits.
#
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --peers    also the Python peers used by benchmarks
#                                      and golden-file scripts (torch, torchaudio)
#   scripts/install-deps.sh --music    also Debian's wesnoth music (demo catalogue,
#                                      the descriptors' band-robustness test)
#   scripts/install-deps.sh --browser  also Chromium and puppeteer-core for the
#                                      web page's browser test (tests/browser);
#                                      npm installs into ${BUILD_DIR:-build}/node
set -euo pipefail

browser=0
packages=(
  build-essential cmake pkg-config ccache git
  iproute2 util-linux  # ip netns, nsenter, unshare: tests/cluster (hosts as namespaces)
  libopenmpi-dev openmpi-bin
  libtorch-dev libopenblas0
  libavformat-dev libavcodec-dev libswresample-dev libavutil-dev ffmpeg
  libfftw3-dev libqm-dsp-dev
  librocksdb-dev
  libboost-program-options-dev
  libgtest-dev googletest
  libprotobuf-dev protobuf-compiler
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcpp-httplib-dev libhnswlib-dev
  python3-numpy
)
for arg in "$@"; do
  case "$arg" in
    --peers) packages+=(python3-torch python3-torchaudio python3-sklearn) ;;
    --music) packages+=(wesnoth-1.16-music) ;;
    --browser)
      browser=1
      packages+=(chromium fonts-dejavu-core)
      # Node may come from elsewhere (nodesource bundles npm); only ask Debian when absent.
      if ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
      ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

# puppeteer-core (no bundled browser: it drives Debian's chromium) goes under the
# build tree, never into the repository. NODE_PATH=<build>/node/node_modules finds it.
install_puppeteer() {
  local root build node_dir
  root=$(cd "$(dirname "$0")/.." && pwd)
  build=${BUILD_DIR:-build}
  [[ "$build" == /* ]] || build="$root/$build"
  node_dir="$build/node"
  if [[ -f "$node_dir/node_modules/puppeteer-core/package.json" ]]; then
    echo "install-deps: puppeteer-core present in $node_dir/node_modules"
    return
  fi
  echo "install-deps: npm install puppeteer-core@23 into $node_dir"
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund --silent --prefix . puppeteer-core@23 >/dev/null)
}

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "install-deps: done"
fi
if ((browser)); then install_puppeteer; fi
