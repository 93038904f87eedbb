#!/usr/bin/env bash
# `mer features` on real MP3 and Ogg music vs torchaudio on the same decoded
# audio (scripts/check_features_vs_torchaudio.py). Exit 77 (a CTest skip, with
# the reason printed) when the data or the Python peers are missing.
#   features_vs_torchaudio_test.sh MER_BINARY SOURCE_DIR
set -u
mer=$1 src=$2
data="$src/../shared/data/4q-dev/audio"
mp3s=()
for id in MT0000004637 MT0000011357; do
  [[ -f "$data/$id.mp3" ]] && mp3s+=("$data/$id.mp3")
done
if ((${#mp3s[@]} == 0)); then
  echo "SKIP: no 4q-dev clips under $data"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
oggs=(/usr/share/games/wesnoth/*/data/core/music/battle.ogg)
if [[ ! -f ${oggs[0]} ]]; then
  # Real music as Ogg Vorbis: transcode a clip.
  ffmpeg -nostdin -v error -i "${mp3s[0]}" -c:a libvorbis "$tmp/clip.ogg" || exit 1
  oggs=("$tmp/clip.ogg")
fi
/usr/bin/python3 "$src/scripts/check_features_vs_torchaudio.py" --mer "$mer" "${mp3s[@]}" "${oggs[@]}" || exit $?
/usr/bin/python3 "$src/scripts/check_features_vs_torchaudio.py" --mer "$mer" --preset librosa "${mp3s[0]}" "${oggs[0]}"
