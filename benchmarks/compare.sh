#!/usr/bin/env bash
# Our quick runner against a peer on the reference workloads W1-W4 (../shared/WORKLOADS.md), run alternately in one
# command (ours, peer, ours, peer, ...) so that both see the same machine; prints a table of medians and ratios.
#
#   benchmarks/compare.sh [--peer pytorch|pytorch-avx512|torchsharp|pytorch,pytorch-avx512,torchsharp] [--rounds 3] [--threads 1,2]
#                         [--only W1,W2,W3,W4] [--runs 5] [--out DIR] [--skip-build]
#
# ours:       dotnet benchmarks/Amortized.Benchmarks ... quick (Release; the runner of src/Amortized.Workloads, the
#             same as `amortized bench`)
# pytorch:    /usr/bin/python3 benchmarks/peers/pytorch/workloads.py (Debian's python3-torch; apt-get install -y
#             python3-torch libopenblas0-openmp, else torch falls back to the reference BLAS)
# pytorch-avx512: the same with OPENBLAS_CORETYPE=SkylakeX. These machines' environment sets OPENBLAS_CORETYPE=Haswell
#             (OpenBLAS's AVX2 kernels: 108 GFLOP/s for 512^3 on one core against 204 with SkylakeX's, W1 146
#             against 210 steps/s); SkylakeX in turn made W2 slower (94 -> 21 steps/s), so both are run and shown.
# torchsharp: benchmarks/peers/torchsharp (TorchSharp-cpu 0.107.0, about 1.4 GB on first restore; needs patchelf)
# The peers run with tcmalloc preloaded when libtcmalloc-minimal4 is installed (../shared/WORKLOADS.md: glibc malloc
# hands large blocks back to the OS, and an engine that allocates per step would pay fresh pages every step).
#
# Each run prints the median of --runs timed runs per figure; the table shows, per figure, the median over the rounds
# and ratio = ours / peer (> 1 means ours is faster for steps/s and GFLOP/s; < 1 means ours is faster for latencies).
# Raw lines, with the load average before each run, are kept in DIR (default: a fresh temporary folder; a peer's stderr,
# with its version, in DIR/PEER.ROUND.err), the table in DIR/table.md. The machines are shared: check `uptime` first and rerun when the load averages in DIR/*.txt are high.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

peers="pytorch"; rounds=3; threads="1,2"; only="W1,W2,W3,W4"; runs=5; out=""; build=1
usage() { echo "usage: $0 [--peer pytorch|pytorch-avx512|torchsharp|pytorch,pytorch-avx512,torchsharp] [--rounds N] [--threads 1,2] [--only W1,W2,W3,W4] [--runs N] [--out DIR] [--skip-build]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --peer) peers=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --skip-build) build=0; shift ;;
    *) usage ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ && "$runs" =~ ^[1-9][0-9]*$ && "$threads" =~ ^[0-9,]+$ ]] || usage
IFS=',' read -r -a peer_list <<< "$peers"
for p in "${peer_list[@]}"; do [[ "$p" == pytorch || "$p" == pytorch-avx512 || "$p" == torchsharp ]] || usage; done
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/amortized-compare.XXXXXX")}
mkdir -p "$out"

ours_dll=benchmarks/Amortized.Benchmarks/bin/Release/net10.0/Amortized.Benchmarks.dll
torchsharp_dll=benchmarks/peers/torchsharp/bin/Release/net10.0/linux-x64/Amortized.Peers.TorchSharp.dll
tcmalloc=$(ls /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 2>/dev/null || true)
if [[ -z "$tcmalloc" ]]; then echo "note: libtcmalloc-minimal4 is not installed; peers run on glibc malloc" >&2; fi

if [[ $build == 1 ]]; then
  dotnet build benchmarks/Amortized.Benchmarks -c Release --nologo -v quiet >&2
  for p in "${peer_list[@]}"; do
    if [[ "$p" == torchsharp ]]; then dotnet build benchmarks/peers/torchsharp -c Release --nologo -v quiet >&2; fi
  done
fi
for p in "${peer_list[@]}"; do
  if [[ "$p" == pytorch* ]] && ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "PyTorch is missing: apt-get install -y python3-torch libopenblas0-openmp libtcmalloc-minimal4" >&2; exit 1
  fi
done

run_side() {   # run_side NAME ROUND: one run of one side, raw lines into $out/NAME.ROUND.txt
  local name=$1 round=$2 file="$out/$1.$2.txt"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)" > "$file"
  case "$name" in
    ours) dotnet "$ours_dll" quick --threads "$threads" --only "$only" --runs "$runs" >> "$file" ;;
    pytorch) LD_PRELOAD=$tcmalloc /usr/bin/python3 benchmarks/peers/pytorch/workloads.py --threads "$threads" --only "$only" --runs "$runs" >> "$file" 2> "$out/$name.$round.err" ;;
    pytorch-avx512) OPENBLAS_CORETYPE=SkylakeX LD_PRELOAD=$tcmalloc /usr/bin/python3 benchmarks/peers/pytorch/workloads.py --threads "$threads" --only "$only" --runs "$runs" >> "$file" 2> "$out/$name.$round.err" ;;
    torchsharp) LD_PRELOAD=$tcmalloc dotnet "$torchsharp_dll" --threads "$threads" --only "$only" --runs "$runs" >> "$file" 2> "$out/$name.$round.err" ;;
  esac
  echo "  $name round $round: $(grep -c '^W' "$file") lines ($(head -1 "$file" | sed 's/# //'))" >&2
}

echo "comparing ours with ${peers} on $only, threads $threads, $rounds rounds of --runs $runs; raw output in $out" >&2
for ((r = 1; r <= rounds; r++)); do
  run_side ours "$r"
  for p in "${peer_list[@]}"; do run_side "$p" "$r"; done
done

/usr/bin/python3 - "$out" ours "${peer_list[@]}" <<'EOF' | tee "$out/table.md"
import glob, os, re, statistics, sys

out, sides = sys.argv[1], sys.argv[2:]
HEAD = {"threads", "m", "k", "n"}
values = {}    # (figure key, metric) -> side -> [value per round]
order = []
for side in sides:
    for path in sorted(glob.glob(os.path.join(out, f"{side}.*.txt"))):
        for line in open(path):
            if not line.startswith("W"):
                continue
            tokens = line.split()
            head = [tokens[0]] + [t for t in tokens[1:] if t.split("=")[0] in HEAD]
            for t in tokens[1:]:
                name, value = t.split("=")
                if name in HEAD:
                    continue
                key = (" ".join(head), name)
                if key not in values:
                    values[key] = {}
                    order.append(key)
                values[key].setdefault(side, []).append(float(value))

peers = sides[1:]
print("| figure | metric | ours | " + " | ".join(peers) + " | " + " | ".join(f"ours/{p}" for p in peers) + " |")
print("|---|---|---:|" + "---:|" * (2 * len(peers)))
def fmt(v, metric):
    if v is None:
        return "-"
    return f"{v:.3f}" if metric.endswith("_ms") else f"{v:.0f}" if metric.startswith("alloc") else f"{v:.1f}"
for key in order:
    med = {s: statistics.median(values[key][s]) if s in values[key] else None for s in sides}
    ratios = []
    for p in peers:
        a, b = med["ours"], med[p]
        ratios.append("-" if a is None or b is None or b == 0 else f"{a / b:.2f}")
    print(f"| {key[0]} | {key[1]} | {fmt(med['ours'], key[1])} | " + " | ".join(fmt(med[p], key[1]) for p in peers) + " | " + " | ".join(ratios) + " |")
rounds = {s: len(glob.glob(os.path.join(out, f"{s}.*.txt"))) for s in sides}
print(f"\nmedians over {min(rounds.values())} rounds; ratio = ours / peer (steps_per_s, gflops: > 1 is ours faster; *_ms: < 1 is ours faster)")
EOF
