#!/usr/bin/env bash
# Installs every Debian package mer needs to build, test and run (DESIGN §7).
# Idempotent: when everything is present it only runs dpkg-query and exits.
#
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --peers    also the Python peers used by benchmarks
#                                      and golden-file scripts (torch, torchaudio)
#   scripts/install-deps.sh --music    also Debian's wesnoth music (demo catalogue,
#                                      the descriptors' band-robustness test)
set -euo pipefail

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
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
