#!/usr/bin/env bash
# `mer index` across three hosts, the way a cluster runs it: three network
# namespaces joined by a bridge (shared/recipes/cluster/03-netns-multihost),
# mpirun on the first one starting orted on the others through an rsh agent,
# ranks talking TCP over the namespaces' subnet only. The test
#   1. indexes a small catalogue (encoded here with the ffmpeg CLI) in one
#      process on this host: the reference;
#   2. runs the same job on 3 hosts (coordinator on h1, workers on h2, h3)
#      into an index of its own and cuts h3's network link once entries are
#      written: nothing closes a socket, so the job must notice the silence
#      itself (mer's stall inspector, Open MPI's keepalive) and abort within
#      a bound with a message naming h3; once the link is back nothing may
#      linger; the index is partial;
#   3. runs it on 3 hosts again into the index to be compared and SIGKILLs
#      the worker on h3 once entries are written: a clean abort (non-zero
#      exit within a bound, a message naming the killed process and host,
#      nothing left behind), a partial index;
#   4. runs the same command on 2 hosts (h1: coordinator + worker, h2:
#      worker), which resumes: it must skip what was written and finish;
#   5. asserts the resumed index equals the reference bit for bit (every
#      track's V, A, confidence and quadrant; two full records with their
#      timelines; the failure list; the statistics).
# Everything it makes (namespaces, processes, temp folder) is removed on exit.
# Without root, `ip netns`, nsenter/unshare, mpirun, ffmpeg or python3 it
# prints why and exits 77 (CTest's SKIP_RETURN_CODE).
#   multihost_index_test.sh MER_BINARY MODEL.merm
# Env: MER_TEST_TMPDIR (parent of the temp folder), MER_TEST_KEEP=1 (keep it).
set -uo pipefail

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; failed=1; }
die() { echo "FAIL: $*"; show_logs; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
secs() { printf '%d.%d' $(( $1 / 1000 )) $(( $1 % 1000 / 100 )); }  # MS -> "S.s"
t_start=$(now_ms)
note() { printf '[%6ss] %s\n' "$(secs $(( $(now_ms) - t_start )))" "$*"; }

(( $# == 2 )) || { echo "usage: $0 MER_BINARY MODEL.merm" >&2; exit 2; }
mer=$(realpath "$1") model=$(realpath "$2")
[[ -x $mer ]] || die "no mer binary at $1"
[[ -f $model ]] || die "no model bundle at $2"

# ---- preconditions: each missing one is a printed skip ----
(( $(id -u) == 0 )) || skip "network namespaces need root (CI runs as root); uid is $(id -u)"
for tool in ip nsenter unshare mount mpirun ffmpeg python3; do
  command -v "$tool" >/dev/null || skip "'$tool' is not installed"
done

# Unique names: a developer's recipe namespaces (h1..h3, crsw) or a parallel
# run of this test never collide with ours. Namespaces left by an earlier
# run that was killed (its pid gone) are removed first.
tag=mhx$$
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^mhx[0-9]+-'); do
  owner=${ns#mhx}; owner=${owner%%-*}
  if ! kill -0 "$owner" 2>/dev/null; then
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null && echo "removed stale namespace $ns"
  fi
done
hosts=("$tag-h1" "$tag-h2" "$tag-h3")
subnet=10.78.0
base=${MER_TEST_TMPDIR:-${TMPDIR:-/tmp}}
mkdir -p "$base"
tmp=$(mktemp -d "$base/multihost.XXXXXX")
job_pid=""
failed=0

cleanup() {
  [[ -n $job_pid ]] && kill -KILL "$job_pid" 2>/dev/null
  for ns in "${hosts[@]}" "$tag-sw"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
  done
  sleep 0.2
  for ns in "${hosts[@]}" "$tag-sw"; do ip netns del "$ns" 2>/dev/null; done
  if [[ ${MER_TEST_KEEP:-0} == 1 ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

show_logs() {
  for f in "$tmp"/*.err; do
    [[ -f $f ]] || continue
    echo "--- $(basename "$f") (last 30 lines)"; tail -n 30 "$f"
  done
}

# ---- three hosts on a private bridge; nothing in the root namespace ----
ip netns add "$tag-sw" 2>"$tmp/netns.err" ||
  skip "cannot create a network namespace: $(head -c 200 "$tmp/netns.err")"
ip -n "$tag-sw" link add br0 type bridge && ip -n "$tag-sw" link set br0 up ||
  die "cannot make the bridge"
{ echo "127.0.0.1 localhost"; for i in 1 2 3; do echo "$subnet.$i ${hosts[i-1]}"; done; } > "$tmp/hosts"
for i in 1 2 3; do
  h=${hosts[i-1]}
  ip netns add "$h" &&
    ip -n "$tag-sw" link add "port$i" type veth peer name eth0 netns "$h" &&
    ip -n "$tag-sw" link set "port$i" master br0 &&
    ip -n "$tag-sw" link set "port$i" up &&
    ip -n "$h" link set lo up &&
    ip -n "$h" addr add "$subnet.$i/24" dev eth0 &&
    ip -n "$h" link set eth0 up || die "cannot set up host $h"
done

# nsrun HOST CMD ARGS...: CMD inside HOST's network namespace, with its own
# hostname and our hosts file over /etc/hosts (a private mount namespace, so
# the real /etc is untouched). rsh HOST 'COMMAND': the same for the shell
# string mpirun hands its plm_rsh_agent (in place of ssh).
cat > "$tmp/nsrun" <<EOF
#!/bin/sh
h=\$1; shift
exec nsenter --net=/run/netns/"\$h" unshare --uts --mount --propagation private \\
  /bin/sh -c 'mount --bind "$tmp/hosts" /etc/hosts && hostname "\$0" && exec "\$@"' "\$h" "\$@"
EOF
cat > "$tmp/rsh" <<'EOF'
#!/bin/sh
h=$1; shift
exec "$(dirname "$0")/nsrun" "$h" /bin/sh -c "$*"
EOF
chmod +x "$tmp/nsrun" "$tmp/rsh"
got=$("$tmp/nsrun" "${hosts[2]}" sh -c 'hostname; getent hosts '"${hosts[0]}" 2>&1)
[[ $got == "${hosts[2]}"*"$subnet.1"* ]] ||
  skip "cannot enter a namespace with its own hostname and hosts file: $got"
note "hosts ${hosts[*]} up on $subnet.0/24"

# ---- the catalogue: tones + noise in three codecs, one broken file ----
# 48 encoded tracks, each also copied into four more folders (copies are
# tracks of their own): enough work that the faults below land while some
# remains, even though each `mer query --stats` poll takes seconds here.
nencoded=48 copies=5 seconds=40
ntracks=$((nencoded * copies))
codecs=(flac mp3 ogg)
mkdir -p "$tmp/cat/a" "$tmp/cat/b"
for i in $(seq 0 $((nencoded - 1))); do
  f="$tmp/cat/$([[ $((i % 2)) == 0 ]] && echo a || echo b)/track $i.${codecs[i % 3]}"
  ffmpeg -nostdin -loglevel error -y \
    -f lavfi -i "sine=frequency=$((180 + 53 * i)):duration=$seconds" \
    -f lavfi -i "anoisesrc=color=pink:amplitude=0.2:seed=$i:duration=$seconds" \
    -filter_complex amix=inputs=2 -ac 1 -ar 16000 "$f" || die "ffmpeg could not encode $f"
done
for c in $(seq 2 "$copies"); do
  mkdir -p "$tmp/cat/copy$c"
  cp -r "$tmp/cat/a" "$tmp/cat/b" "$tmp/cat/copy$c/"
done
echo "this is not audio" > "$tmp/cat/broken.mp3"
entries=$((ntracks + 1))
note "catalogue: $ntracks tracks of $seconds s (${codecs[*]}; $nencoded encoded, $copies copies each) + 1 broken file"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export TMPDIR=$tmp/ompi   # Open MPI's and PMIx's session folders die with $tmp
mkdir -p "$TMPDIR"
# The same options for every run: equal --batch gives equal floats.
index_opts=(--catalogue "$tmp/cat" --model "$model" --json --chunk 1
            --prefetch 1 --write-batch 1 --decode-threads 1 --model-threads 1)
# TCP only over the namespaces' subnet; the keepalive cluster/README.md
# recommends, so a lost host ends the job in seconds; --timeout as a last
# resort against a hang.
mpi_opts=(--bind-to none --oversubscribe
          --mca plm_rsh_agent "$tmp/rsh" --mca plm_rsh_no_tree_spawn 1
          --mca btl self,vader,tcp --mca btl_vader_single_copy_mechanism none
          --mca btl_tcp_if_include "$subnet.0/24" --mca oob_tcp_if_include "$subnet.0/24"
          --mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1
          --mca oob_tcp_keepalive_probes 3 --timeout 150)

json_field() {  # FILE KEY: a field of the last JSON object in FILE
  python3 -c 'import json,sys
lines=[l for l in open(sys.argv[1]) if l.startswith("{")]
print(json.loads(lines[-1])[sys.argv[2]] if lines else "")' "$1" "$2"
}
stats_tracks() {  # INDEX: tracks + failures written so far ("" if unreadable)
  "$mer" query --index "$1" --stats --json 2>/dev/null |
    python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["tracks"] + s["failures"])' 2>/dev/null
}
mer_pid_in() {  # HOST: the pid of the mer rank in HOST's namespace
  # A worker rank runs as mer-torch (mer hands it over: cli/model_runtime.h).
  local comm
  for p in $(ip netns pids "$1" 2>/dev/null); do
    comm=$(cat "/proc/$p/comm" 2>/dev/null)
    [[ $comm == "$(basename "$mer" | cut -c1-15)" || $comm == mer-torch ]] && { echo "$p"; return; }
  done
}

# ---- 1. the reference: one process, this host ----
"$mer" index "${index_opts[@]}" --index "$tmp/ref" > "$tmp/ref.out" 2> "$tmp/ref.err" ||
  die "the one-host reference run failed"
[[ $(json_field "$tmp/ref.out" indexed) == "$ntracks" ]] ||
  die "reference: indexed $(json_field "$tmp/ref.out" indexed), expected $ntracks"
note "reference run: $ntracks indexed, $(json_field "$tmp/ref.out" failed) failed"

# ---- helpers for the 3-host runs ----
printf '%s slots=1\n' "${hosts[@]}" > "$tmp/hostfile3"
start_3host() {  # NAME INDEX: the job on h1, h2, h3 in the background -> job_pid
  "$tmp/nsrun" "${hosts[0]}" mpirun --hostfile "$tmp/hostfile3" -np 3 --map-by node "${mpi_opts[@]}" \
    "$mer" index "${index_opts[@]}" --index "$2" > "$tmp/$1.out" 2> "$tmp/$1.err" &
  job_pid=$!
}
await_written() {  # INDEX: until workers run on h2 and h3 and INDEX holds an entry -> w3
  local w2="" n="" deadline=$(( $(date +%s) + 90 ))
  w3=""
  while kill -0 "$job_pid" 2>/dev/null && (( $(date +%s) < deadline )); do
    if [[ -z $w3 ]]; then
      w2=$(mer_pid_in "${hosts[1]}") w3=$(mer_pid_in "${hosts[2]}")
      [[ -n $w2 && -n $w3 ]] || w3=""
    else
      n=$(stats_tracks "$1")
      [[ -n $n ]] && (( n >= 1 )) && {
        note "workers on ${hosts[1]} (pid $w2) and ${hosts[2]} (pid $w3); $n of $entries entries written"
        return 0; }
    fi
    sleep 0.2
  done
  kill -0 "$job_pid" 2>/dev/null ||
    die "the 3-host job ended before the fault (status $(wait "$job_pid"; echo $?))"
  die "after 90 s: worker on ${hosts[2]}: '$w3', entries written: '$n'"
}
await_abort() {  # WHAT BOUND_S: the job must end within BOUND_S of t_fault, non-zero -> rc
  while kill -0 "$job_pid" 2>/dev/null && (( $(now_ms) - t_fault < $2 * 1000 )); do sleep 0.2; done
  kill -0 "$job_pid" 2>/dev/null && die "the job still runs $2 s after $1 (a hang)"
  wait "$job_pid"; rc=$?
  job_pid=""
  note "the job exited with status $rc, $(secs $(( $(now_ms) - t_fault ))) s after $1"
  (( rc != 0 )) || fail "the job exited 0 after $1"
}

left_on() {  # HOST...: the processes still in these namespaces
  local h; for h in "$@"; do ip netns pids "$h" 2>/dev/null; done | tr '\n' ' '
}

# ---- 2. three hosts; the third one's link is cut mid-run ----
# No socket closes: the job must notice the silence itself (mer index's
# stall inspector, or the Open MPI keepalive set above, ~7 s), within 40 s.
# The cut comes once an entry is written, so past MPI's start-up (a link
# lost during start-up is another case: cluster/README.md). Its own index:
# the job is fresh, with most of the catalogue still to do.
start_3host cut "$tmp/cut-idx"
await_written "$tmp/cut-idx"
ip -n "$tag-sw" link set port3 down
t_fault=$(now_ms)
note "link of ${hosts[2]} cut"
await_abort "the cut" 40
grep -q "${hosts[2]}" "$tmp/cut.err" || fail "no message names the silent host ${hosts[2]}"
echo "--- the abort, as the user sees it:"
grep -E "${hosts[2]}" "$tmp/cut.err" | head -n 3
ip -n "$tag-sw" link set port3 up
t_up=$(now_ms)
while [[ -n $(left_on "${hosts[@]}") ]] && (( $(now_ms) - t_up < 30000 )); do sleep 0.5; done
left=$(left_on "${hosts[@]}")
[[ -z $left ]] || fail "processes still running 30 s after the link came back: $left"
after=$(stats_tracks "$tmp/cut-idx")
[[ -n $after ]] || die "the cut job's index cannot be opened"
(( after >= 1 && after < entries )) ||
  fail "the cut job's index holds $after entries; expected a partial index (1..$((entries - 1)))"
note "partial index after the cut: $after of $entries entries"

# ---- 3. three hosts; the third one's worker is killed mid-run ----
start_3host killed "$tmp/multi"
await_written "$tmp/multi"
kill -KILL "$w3"
t_fault=$(now_ms)
note "SIGKILL worker pid $w3 on ${hosts[2]}"
await_abort "the SIGKILL" 30
grep -q "${hosts[2]}" "$tmp/killed.err" || fail "no message names the lost host ${hosts[2]}"
grep -Eiq "signal 9|killed" "$tmp/killed.err" || fail "no message says the process was killed"
echo "--- the abort, as the user sees it:"
grep -Ei "${hosts[2]}|killed" "$tmp/killed.err" | head -n 3
sleep 1
left=$(left_on "${hosts[@]}")
[[ -z $left ]] || fail "processes left after the abort: $left"
after=$(stats_tracks "$tmp/multi")
[[ -n $after ]] || die "the killed job's index cannot be opened"
(( after >= 1 && after < entries )) ||
  fail "the killed job's index holds $after entries; expected a partial index (1..$((entries - 1)))"
note "partial index after the kill: $after of $entries entries"
"$mer" query --index "$tmp/multi" --box -1,1,-1,1 --json > "$tmp/before_resume.jsonl" 2>> "$tmp/query.err"

# ---- 4. the same command on two hosts resumes and completes ----
printf '%s slots=2\n%s slots=1\n' "${hosts[0]}" "${hosts[1]}" > "$tmp/hostfile2"
t0=$(now_ms)
timeout -s KILL 200 "$tmp/nsrun" "${hosts[0]}" mpirun --hostfile "$tmp/hostfile2" -np 3 "${mpi_opts[@]}" \
  "$mer" index "${index_opts[@]}" --index "$tmp/multi" > "$tmp/resume.out" 2> "$tmp/resume.err"
rc=$?
(( rc == 0 )) || die "the resumed 2-host job exited with status $rc"
skipped=$(json_field "$tmp/resume.out" skipped)
indexed=$(json_field "$tmp/resume.out" indexed)
nfailed=$(json_field "$tmp/resume.out" failed)
note "resumed on 2 hosts in $(secs $(( $(now_ms) - t0 ))) s: skipped $skipped, indexed $indexed, failed $nfailed"
[[ $(json_field "$tmp/resume.out" workers) == 2 ]] || fail "the resumed job did not run 2 workers"
(( skipped >= after )) || fail "the resumed job skipped $skipped, but $after were already written"
(( skipped + indexed + nfailed == entries )) ||
  fail "skipped $skipped + indexed $indexed + failed $nfailed != $entries entries"

# ---- 5. the resumed index equals the one-host reference, bit for bit ----
dump() {  # INDEX NAME: query dumps in comparable form
  { "$mer" query --index "$1" --stats --json
    "$mer" query --index "$1" --failures --json
    "$mer" query --index "$1" --box -1,1,-1,1 --json
    for id in "$first_id" "$last_id"; do "$mer" query --index "$1" --track "$id" --json; done
  } 2>> "$tmp/query.err" > "$tmp/$2.raw" || die "mer query on $1 failed"
  # The times of writing are the only fields allowed to differ.
  python3 -c 'import json,sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    for k in ("indexed_at_unix", "failed_at_unix"): o.pop(k, None)
    print(json.dumps(o, sort_keys=True))' "$tmp/$2.raw" | sort > "$tmp/$2.dump"
}
# One record written before the faults (when a track was) and one after
# them, timelines included.
mapfile -t pick < <(python3 -c 'import json,sys
before=sorted(json.loads(l)["track_id"] for l in open(sys.argv[1]))
ids=sorted(json.loads(l)["track_id"] for l in open(sys.argv[2]))
print((before or ids)[0]); print([i for i in ids if i not in before][0])' \
  "$tmp/before_resume.jsonl" <("$mer" query --index "$tmp/ref" --box -1,1,-1,1 --json))
(( ${#pick[@]} == 2 )) || die "cannot pick two tracks to compare"
first_id=${pick[0]} last_id=${pick[1]}
dump "$tmp/ref" ref
dump "$tmp/multi" multi
lines=$(wc -l < "$tmp/ref.dump")
(( lines == 1 + 1 + ntracks + 2 )) || fail "the reference dump has $lines lines, expected $((ntracks + 4))"
if cmp -s "$tmp/ref.dump" "$tmp/multi.dump"; then
  note "resumed 3-host/2-host index == one-host index: $lines records compared (stats, failure, $ntracks tracks, 2 timelines)"
else
  fail "the resumed index differs from the one-host reference:"
  diff "$tmp/ref.dump" "$tmp/multi.dump" | head -n 20
fi

if (( failed )); then show_logs; exit 1; fi
note "PASS"
