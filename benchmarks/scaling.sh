#!/usr/bin/env bash
# Cost as work grows (issue #21, item 5): W1 training steps/s and samples/s (steps/s x batch) as the batch grows
# (64 to 4096 at width 128) and as the coupling subnets widen (64 to 1024 at batch 512), ours and PyTorch, 1 and 2
# threads, the two sides alternating config by config so both see the same machine. Writes DIR/scaling.csv,
# DIR/scaling.md (table with ratios) and DIR/scaling-batch.{png,svg}, DIR/scaling-width.{png,svg}.
#
#   benchmarks/scaling.sh [--out DIR] [--threads 1,2] [--runs 3] [--skip-build]
#
# PyTorch: Debian's python3-torch with libopenblas0-openmp, tcmalloc preloaded when installed (as compare.sh), with
# OpenBLAS's AVX-512 kernels on AVX-512 machines (below).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# These machines' environment sets OPENBLAS_CORETYPE=Haswell, which holds PyTorch's OpenBLAS to its AVX2 kernels: W1
# ran 146 steps/s and the 512^3 product 108 GFLOP/s on one core, against 210 and 204 with the AVX-512 (SkylakeX)
# kernels. W1 is all this script runs, so the peer gets SkylakeX on AVX-512 machines (PEER_OPENBLAS_CORETYPE overrides).
peer_coretype=${PEER_OPENBLAS_CORETYPE:-${OPENBLAS_CORETYPE:-}}
if [[ -z "${PEER_OPENBLAS_CORETYPE:-}" ]] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then peer_coretype=SkylakeX; fi
out=""; threads="1,2"; runs=3; build=1
usage() { echo "usage: $0 [--out DIR] [--threads 1,2] [--runs N] [--skip-build]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --skip-build) build=0; shift ;;
    *) usage ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[0-9,]+$ ]] || usage
out=${out:-$(mktemp -d)}
mkdir -p "$out"
ours=benchmarks/Amortized.Benchmarks/bin/Release/net10.0/Amortized.Benchmarks.dll
if [[ $build == 1 ]]; then dotnet build -c Release benchmarks/Amortized.Benchmarks -v q -nologo >/dev/null; fi
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "scaling.sh: PyTorch is missing: apt-get install -y python3-torch libopenblas0-openmp libtcmalloc-minimal4" >&2; exit 2; }
preload=""
for lib in /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4; do [[ -f $lib ]] && preload=$lib; done

csv="$out/scaling.csv"
echo "side,threads,batch,width,steps_per_s" > "$csv"
# Fewer steps per run where a step is long, so every config takes seconds, not minutes.
steps_for() { local work=$(( $1 * $2 * $2 / 512 / 128 / 128 )); if (( work >= 16 )); then echo 10; elif (( work >= 4 )); then echo 20; else echo 50; fi; }
configs=()
for b in 64 128 256 512 1024 2048 4096; do configs+=("$b 128"); done
for w in 64 256 512 1024; do configs+=("512 $w"); done
IFS=',' read -r -a thread_list <<< "$threads"
for config in "${configs[@]}"; do
  read -r b w <<< "$config"
  steps=$(steps_for "$b" "$w")
  for t in "${thread_list[@]}"; do
    line=$(dotnet "$ours" quick --only W1 --threads "$t" --runs "$runs" --steps "$steps" --batch "$b" --width "$w" \
      | grep -o 'steps_per_s=[0-9.]*' | cut -d= -f2)
    echo "ours,$t,$b,$w,$line" | tee -a "$csv"
    line=$(OPENBLAS_CORETYPE=$peer_coretype LD_PRELOAD=$preload /usr/bin/python3 benchmarks/peers/pytorch/workloads.py --only W1 --threads "$t" \
      --runs "$runs" --steps "$steps" --batch "$b" --width "$w" 2>/dev/null | grep -o 'steps_per_s=[0-9.]*' | cut -d= -f2)
    echo "pytorch,$t,$b,$w,$line" | tee -a "$csv"
  done
done
dotnet "$ours" scaling-figure "$csv" "$out"
echo "scaling.sh: results in $out"
