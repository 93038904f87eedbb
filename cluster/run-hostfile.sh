#!/usr/bin/env bash
# mer index or mer train over the hosts of a hostfile, without Slurm:
#   cluster/run-hostfile.sh HOSTFILE index --catalogue /shared/music --model /shared/m.merm --index /data/idx
#   cluster/run-hostfile.sh HOSTFILE train --data /shared/shards --out /shared/m.merm
# Needs passwordless ssh to every host, the same mer binary path on each, and
# the catalogue/model/data on a shared filesystem at the same path.
# Env: MER (binary, default: build/cli/mer of this checkout), NP (ranks,
# default: the sum of slots), MPIRUN_ARGS (extra mpirun options, e.g.
# "--mca plm_rsh_agent ./my-rsh --mca oob_tcp_if_include 10.0.0.0/24").
set -euo pipefail
if (( $# < 2 )); then
  echo "usage: $0 HOSTFILE index|train [options]" >&2
  exit 2
fi
hostfile=$1
shift
mer=${MER:-$(cd "$(dirname "$0")/.." && pwd)/build/cli/mer}
[[ -x $mer ]] || { echo "run-hostfile: no mer binary at $mer: build it or set MER" >&2; exit 2; }
np=${NP:-$(awk '!/^#/ && NF { for (i = 1; i <= NF; i++) if ($i ~ /^slots=/) { split($i, s, "="); n += s[2] } } END { print n }' "$hostfile")}
# TCP keepalive on the mpirun <-> orted channel: a host that goes silent (a
# cut link) aborts the job in ~7 s instead of ~8 minutes, before mer index's
# --stall-abort (10 s) could leave mpirun waiting on the lost host
# (cluster/README.md, "When a node is lost"). Set as defaults in the
# environment, so that the caller's OMPI_MCA_* or an --mca in MPIRUN_ARGS
# (which wins) can change them.
export OMPI_MCA_oob_tcp_keepalive_time=${OMPI_MCA_oob_tcp_keepalive_time:-2}
export OMPI_MCA_oob_tcp_keepalive_intvl=${OMPI_MCA_oob_tcp_keepalive_intvl:-1}
export OMPI_MCA_oob_tcp_keepalive_probes=${OMPI_MCA_oob_tcp_keepalive_probes:-3}
# TCP between hosts, shared memory within one.
# shellcheck disable=SC2086  # MPIRUN_ARGS is a list of words
exec mpirun --hostfile "$hostfile" -np "$np" --map-by slot --bind-to none \
  --mca btl self,vader,tcp ${MPIRUN_ARGS:-} "$mer" "$@"
