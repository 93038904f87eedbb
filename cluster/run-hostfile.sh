#!/usr/bin/env bash
# mer index or mer train over the hosts of a hostfile, without Slurm:
#   cluster/run-hostfile.sh HOSTFILE index --catalogue /shared/music --model /shared/m.merm --index /data/idx
#   cluster/run-hostfile.sh HOSTFILE train --data /shared/shards --out /shared/m.merm
# Needs passwordless ssh to every host, the same mer binary path on each, and
# the catalogue/model/data on a shared filesystem at the same path.
# Env: MER (binary, default: build/cli/mer of this checkout), NP (ranks,
# default: the sum of slots), MPIRUN_ARGS (extra mpirun options).
set -euo pipefail
if (( $# < 2 )); then
  echo "usage: $0 HOSTFILE index|train [options]" >&2
  exit 2
fi
hostfile=$1
shift
mer=${MER:-$(cd "$(dirname "$0")/.." && pwd)/build/cli/mer}
np=${NP:-$(awk '!/^#/ && NF { for (i = 1; i <= NF; i++) if ($i ~ /^slots=/) { split($i, s, "="); n += s[2] } } END { print n }' "$hostfile")}
# TCP between hosts, shared memory within one; keepalives so a dead link
# aborts the job in seconds instead of ~8 minutes (shared/recipes/cluster §03).
exec mpirun --hostfile "$hostfile" -np "$np" --map-by slot --bind-to none \
  --mca btl self,vader,tcp \
  --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3 \
  ${MPIRUN_ARGS:-} "$mer" "$@"
