#!/usr/bin/env bash
# Native AOT against the JIT: binary sizes, start-up time of the `amortized` command, and W3 latency and throughput
# (../shared/WORKLOADS.md), as reported in benchmarks/README.md ("Native AOT").
#
#   benchmarks/aot/measure.sh [--reps 5] [--startup-runs 20] [--out DIR] [--skip-build]
#
# Builds in the tree this script lives in (so do not run it while another build of the same tree is going on):
#   - src/Amortized.Cli published with Native AOT (DIR/cli-aot) and framework-dependent for the JIT (DIR/cli-jit),
#   - src/Amortized.Native (libamortized.so, DIR/native),
#   - benchmarks/Amortized.AotBench built for the JIT and published with Native AOT (DIR/bench-aot).
# Then it times `amortized --version` and `amortized tasks` (native binary against `dotnet amortized.dll`, runs
# interleaved, median of --startup-runs each, peak RSS from wait4), and runs the W3 bench alternately under the JIT
# and natively, --reps times each (each run prints the median of 200 calls per figure; the table shows the median
# over the runs). Everything it prints is also in DIR/results.md, the raw lines in DIR/*.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

reps=5; startup_runs=20; out=""; build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps=$2; shift 2 ;;
    --startup-runs) startup_runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --skip-build) build=0; shift ;;
    *) echo "usage: $0 [--reps N] [--startup-runs N] [--out DIR] [--skip-build]" >&2; exit 2 ;;
  esac
done
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/amortized-aot-measure.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "output folder: $out"

if [[ $build -eq 1 ]]; then
  pub() { local name=$1; shift; echo "== $name"; dotnet publish "$@" >"$out/$name.log" 2>&1 || { tail -20 "$out/$name.log"; exit 1; }; }
  start=$(date +%s)
  pub publish-cli-aot src/Amortized.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$out/cli-aot"
  echo "   $(( $(date +%s) - start )) s, $(grep -cE 'warning (IL|CS)[0-9]+' "$out/publish-cli-aot.log" || true) trim/AOT warnings"
  pub publish-cli-jit src/Amortized.Cli -c Release -o "$out/cli-jit"
  pub publish-native src/Amortized.Native -c Release -r linux-x64 -o "$out/native"
  echo "== build-bench-jit"
  dotnet build benchmarks/Amortized.AotBench -c Release >"$out/build-bench-jit.log" 2>&1 || { tail -20 "$out/build-bench-jit.log"; exit 1; }
  pub publish-bench-aot benchmarks/Amortized.AotBench -c Release -r linux-x64 -p:PublishAot=true -o "$out/bench-aot"
fi
bench_jit=benchmarks/Amortized.AotBench/bin/Release/net10.0/Amortized.AotBench.dll

python3 - "$out" "$reps" "$startup_runs" "$bench_jit" <<'EOF'
import os, statistics, subprocess, sys, tempfile

out, reps, startup_runs, bench_jit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
lines = []
def emit(s=""):
    print(s, flush=True); lines.append(s)

def mib(path): return os.path.getsize(path) / 2**20
def loadavg(): return " ".join(open("/proc/loadavg").read().split()[:3])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = open("/proc/cpuinfo").read()
isa = "AVX-512" if " avx512f" in flags else ("AVX2" if " avx2" in flags else "no AVX2")
runtime = next((l.split(" [")[0] for l in subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True).stdout.splitlines() if "NETCore.App" in l), "?")
emit(f"Machine: {os.cpu_count()} x {cpu}, {isa}; {runtime}; load average at start {loadavg()}\n")
emit("## Sizes (MiB)\n")
emit("| file | MiB |\n| --- | --- |")
for label, path in [("amortized (native executable)", "cli-aot/amortized"), ("libSkiaSharp.so (ships next to it)", "cli-aot/libSkiaSharp.so"),
                    ("libHarfBuzzSharp.so (ships next to it)", "cli-aot/libHarfBuzzSharp.so"), ("libamortized.so (C library)", "native/libamortized.so"),
                    ("amortized.dbg (symbols, not shipped)", "cli-aot/amortized.dbg")]:
    emit(f"| {label} | {mib(os.path.join(out, path)):.1f} |")
jit_dlls = sum(os.path.getsize(os.path.join(out, "cli-jit", f)) for f in os.listdir(os.path.join(out, "cli-jit")) if f.endswith(".dll"))
emit(f"| JIT: the managed assemblies of cli-jit (*.dll; needs the .NET runtime) | {jit_dlls / 2**20:.1f} |")

def timed(cmd, cwd):
    """Wall time (ms) and peak RSS (MiB) of one run; stdout discarded."""
    import time
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    ms = (time.perf_counter() - t0) * 1e3
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0: sys.exit(f"{cmd} exited {p.returncode}: {p.stderr.read().decode()}")
    return ms, ru.ru_maxrss / 1024

cwd = tempfile.mkdtemp()
native = os.path.join(out, "cli-aot", "amortized")
jit = ["dotnet", os.path.join(out, "cli-jit", "amortized.dll")]
cases = [("--version", "native", [native, "--version"]), ("--version", "JIT", jit + ["--version"]),
         ("tasks", "native", [native, "tasks"]), ("tasks", "JIT", jit + ["tasks"])]
for _, _, cmd in cases:            # warm the page cache
    for _ in range(2): timed(cmd, cwd)
times = {i: [] for i in range(len(cases))}; rss = {i: [] for i in range(len(cases))}
for _ in range(startup_runs):      # interleaved, so drift in the machine's load hits all four alike
    for i, (_, _, cmd) in enumerate(cases):
        ms, mb = timed(cmd, cwd); times[i].append(ms); rss[i].append(mb)
emit(f"\n## Start-up (median of {startup_runs} runs, wall ms; peak RSS MiB)\n")
emit("| command | native ms | JIT ms | native / JIT | native RSS | JIT RSS |\n| --- | --- | --- | --- | --- | --- |")
for k in range(0, len(cases), 2):
    n, j = statistics.median(times[k]), statistics.median(times[k + 1])
    emit(f"| `amortized {cases[k][0]}` | {n:.1f} | {j:.1f} | {n / j:.2f} | {statistics.median(rss[k]):.0f} | {statistics.median(rss[k + 1]):.0f} |")
with open(os.path.join(out, "startup.txt"), "w") as f:
    for i, (c, r, _) in enumerate(cases): f.write(f"{c} {r} ms={' '.join(f'{t:.1f}' for t in times[i])}\n")

# W3: alternate JIT and native runs; each prints one line per thread count.
runs = {"jit": [], "aot": []}
raw = open(os.path.join(out, "w3.txt"), "w")
for r in range(reps):
    for name, cmd in [("jit", ["dotnet", bench_jit]), ("aot", [os.path.join(out, "bench-aot", "Amortized.AotBench")])]:
        text = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        raw.write(text); raw.flush(); print(text, end="", flush=True)
        for line in text.splitlines():
            kv = dict(f.split("=", 1) for f in line.split()[1:])
            runs[name].append(kv)
raw.close()
emit(f"\n## W3 (median over {reps} runs of the per-run medians; ratios paired run by run, JIT and native alternating)\n")
emit("| threads | figure | native | JIT | native / JIT | range of the paired ratios |\n| --- | --- | --- | --- | --- | --- |")
for t in sorted({kv["threads"] for kv in runs["aot"]}, key=int):
    for key, label in [("sample_ms", "1000 draws, ms per call"), ("logprob_ms", "1000 log densities, ms per call"),
                       ("throughput_draws_per_s", "100 conditions x 1000 draws, draws/s")]:
        a = [float(kv[key]) for kv in runs["aot"] if kv["threads"] == t]
        j = [float(kv[key]) for kv in runs["jit"] if kv["threads"] == t]
        ratios = [x / y for x, y in zip(a, j)]
        fmt = (lambda v: f"{v:,.0f}") if "per_s" in key else (lambda v: f"{v:.2f}")
        emit(f"| {t} | {label} | {fmt(statistics.median(a))} | {fmt(statistics.median(j))} | {statistics.median(ratios):.2f} | {min(ratios):.2f}-{max(ratios):.2f} |")
emit(f"\nload average at the end {loadavg()}")
with open(os.path.join(out, "results.md"), "w") as f: f.write("\n".join(lines) + "\n")
EOF
