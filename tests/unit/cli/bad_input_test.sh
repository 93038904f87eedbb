#!/usr/bin/env bash
# The bad-input matrix through the CLI: `mer features` and `mer probe` on every
# kind of broken file exit with status 1 and one line on stderr naming the
# file, never a crash or a core dump.
#   bad_input_test.sh MER_BINARY
set -u
mer=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=440:duration=3" -ac 1 good.mp3 || exit 1
: > empty.mp3
echo "this is not audio" > text.mp3
head -c 20000 /dev/urandom > random.flac
ffmpeg -nostdin -v error -f lavfi -i testsrc=duration=1:size=64x64:rate=10 -an video_only.mp4 || exit 1
ffmpeg -nostdin -v error -f lavfi -i testsrc=size=64x64 -frames:v 1 image.png || exit 1
head -c 200 good.mp3 > truncated.mp3
mkdir directory.mp3
cp good.mp3 unreadable.mp3 && chmod 000 unreadable.mp3

cases=(missing.mp3 empty.mp3 text.mp3 random.flac video_only.mp4 image.png
       truncated.mp3 directory.mp3)
# Root reads mode-000 files anyway: run that case as nobody when possible.
as_nobody=()
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  chmod 755 "$tmp"
  cases+=(unreadable.mp3)
else
  echo "note: unreadable-file case needs root + setpriv to drop privileges; not run"
fi

failed=0
check() {  # name expected_status stderr_file status
  local name=$1 status=$2 err=$3
  local lines
  lines=$(wc -l < "$err")
  if [[ $status -ne 1 ]]; then
    echo "FAIL $name: exit status $status, expected 1"; failed=1
  elif [[ $lines -ne 1 ]]; then
    echo "FAIL $name: $lines lines on stderr, expected 1:"; cat "$err"; failed=1
  elif ! grep -q "$name" "$err"; then
    echo "FAIL $name: stderr does not name the file: $(cat "$err")"; failed=1
  else
    echo "ok   $name: $(cat "$err")"
  fi
}
for c in "${cases[@]}"; do
  run=("$mer")
  [[ $c == unreadable.mp3 ]] && run=("${as_nobody[@]}" "$mer")
  "${run[@]}" features "$tmp/$c" --out "$tmp/out.npy" 2> err.txt >/dev/null
  check "$c" $? err.txt
  # probe: one JSON line on stdout with the error, status 1.
  "${run[@]}" probe "$tmp/$c" > out.json 2>/dev/null
  status=$?
  if [[ $status -ne 1 ]] || ! grep -q '"error"' out.json; then
    echo "FAIL probe $c: status $status, output $(cat out.json)"; failed=1
  fi
done
# The good file still works.
"$mer" features good.mp3 --out out.npy >/dev/null || { echo "FAIL good.mp3"; failed=1; }
ls core* 2>/dev/null && { echo "FAIL: core dump"; failed=1; }
exit $failed
