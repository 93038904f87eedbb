#!/usr/bin/env bash
# The two builds of the command line (cli/model_runtime.h): `mer` runs
# `query` and the coordinator rank of `mer index` without loading LibTorch,
# and hands every other command, and every rank that analyses, to mer-torch
# beside it. Checked on what the dynamic loader really loads (LD_DEBUG=libs,
# one log per process) in a real `mpirun -np 2` index of real encoded files.
#   light_binary_test.sh MER_BINARY MODEL.merm
set -u
(( $# == 2 )) || { echo "usage: $0 MER_BINARY MODEL.merm" >&2; exit 2; }
mer=$(realpath "$1")
model=$(realpath "$2")
torch_bin=$(dirname "$mer")/mer-torch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
failed=0
fail() { echo "FAIL $*"; failed=1; }

mkdir cat
for f in 220 330 440 550; do
  ffmpeg -nostdin -v error -f lavfi -i "sine=frequency=$f:duration=6" -ac 1 "cat/tone$f.ogg" || exit 1
done

# What each binary needs from the dynamic loader.
ldd "$mer" | grep -q libtorch_cpu && fail "mer links LibTorch"
ldd "$torch_bin" | grep -q libtorch_cpu || fail "mer-torch does not link LibTorch"

# 1. mpirun -np 2: rank 0 (coordinator) in mer, rank 1 (worker) in mer-torch.
mpirun --oversubscribe --bind-to none --mca btl self,vader \
    --mca btl_vader_single_copy_mechanism none -np 2 \
    sh -c 'LD_DEBUG=libs LD_DEBUG_OUTPUT="$0/ld-rank$OMPI_COMM_WORLD_RANK" exec "$@"' "$tmp" \
    "$mer" index --catalogue cat --model "$model" --index idx --no-progress --json \
    > np2.json 2> np2.err || { fail "mpirun -np 2 mer index: status $?"; cat np2.err; }
grep -q '"indexed":4' np2.json || fail "np2 index: $(cat np2.json)"
grep -l 'libtorch_cpu' ld-rank0.* > /dev/null 2>&1 && fail "rank 0 (coordinator) loaded LibTorch"
grep -l 'libtorch_cpu' ld-rank1.* > /dev/null 2>&1 || fail "rank 1 (worker) did not load LibTorch"
ls ld-rank0.* ld-rank1.* > /dev/null 2>&1 || fail "no loader logs (LD_DEBUG_OUTPUT)"

# 2. query: in mer, without LibTorch, and it reads the index rank 0 wrote.
LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld-query" "$mer" query --index idx \
    --box -1,1,-1,1 --json --limit 100 > query.jsonl 2> query.err || fail "query: status $?"
[[ $(wc -l < query.jsonl) == 4 ]] || fail "query returned $(wc -l < query.jsonl) tracks, expected 4"
grep -l 'libtorch_cpu' ld-query.* > /dev/null 2>&1 && fail "mer query loaded LibTorch"

# 3. One rank, and predict: handed to mer-torch, same answers as mer-torch.
LD_DEBUG=libs LD_DEBUG_OUTPUT="$tmp/ld-np1" "$mer" index --catalogue cat --model "$model" \
    --index idx1 --no-progress --json > np1.json 2> np1.err || fail "one-rank index: status $?"
grep -q '"indexed":4' np1.json || fail "np1 index: $(cat np1.json)"
grep -l 'libtorch_cpu' ld-np1.* > /dev/null 2>&1 || fail "one-rank index ran without LibTorch"
"$mer" predict --model "$model" cat/tone440.ogg > p-mer.json || fail "mer predict: status $?"
"$torch_bin" predict --model "$model" cat/tone440.ogg > p-torch.json || fail "mer-torch predict"
cmp -s p-mer.json p-torch.json || fail "mer predict and mer-torch predict differ"
[[ -s p-mer.json ]] || fail "mer predict printed nothing"

# 4. Without mer-torch: one line naming it, status 1; usage errors stay 2.
MER_TORCH=$tmp/no-such-mer-torch "$mer" predict --model "$model" cat/tone440.ogg \
    > /dev/null 2> missing.err
status=$?
[[ $status == 1 ]] || fail "missing mer-torch: status $status, expected 1"
[[ $(wc -l < missing.err) == 1 ]] && grep -q 'no-such-mer-torch' missing.err ||
  fail "missing mer-torch: stderr was: $(cat missing.err)"
"$mer" index --no-such-option > /dev/null 2> usage.err
status=$?
[[ $status == 2 && $(wc -l < usage.err) == 1 ]] || fail "bad option: status $status, $(cat usage.err)"

(( failed == 0 )) && echo "light_binary_test: all checks passed"
exit $failed
