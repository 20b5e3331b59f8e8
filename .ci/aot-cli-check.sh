#!/usr/bin/env bash
# End-to-end check of a Native AOT `amortized` binary on a tiny budget (a few seconds).
#
#   .ci/aot-cli-check.sh DIR [LOG]
#
# DIR holds the published binary `amortized` with libSkiaSharp.so and libHarfBuzzSharp.so next to it, e.g. from
#   dotnet publish src/Amortized.Cli -c Release -r linux-x64 -p:PublishAot=true -o DIR
# Each check prints one "Passed!/Failed!" line in the format of `dotnet test` (and appends it to LOG when given, so
# .ci/run counts it). Runs in a temporary folder, removed at the end unless a check failed or KEEP=1.
# Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage.
set -uo pipefail

if [[ $# -lt 1 || $# -gt 2 || ! -d "$1" ]]; then
  echo "usage: $0 DIR_OF_BINARY [LOG]" >&2
  exit 2
fi
bin_dir=$(cd "$1" && pwd)
amz="$bin_dir/amortized"
log=${2:-/dev/null}
work=$(mktemp -d "${TMPDIR:-/tmp}/amortized-aot-cli.XXXXXX")
status=0
limit=${AOT_CLI_TIMEOUT:-300}   # seconds per command

check_prefix=AotCli
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/checks.sh"

# run NAME ARGS...: runs the binary in $work with stdout/stderr in $work/NAME.out/.err; sets $rc.
run() {
  local name=$1; shift
  (cd "$work" && timeout "$limit" "$amz" "$@" >"$work/$name.out" 2>"$work/$name.err")
  rc=$?
}
# why NAME: the command's rc and the first lines of its stderr, for a failure message.
why() { echo "rc=$rc; stderr: $(head -c 400 "$work/$1.err" | tr '\n' ' ')"; }
lines() { wc -l <"$1" | tr -d ' '; }

# --- the binary and the Skia libraries it loads from its own folder ------------------------------------------------
missing=""
for f in amortized libSkiaSharp.so libHarfBuzzSharp.so; do [[ -f "$bin_dir/$f" ]] || missing+=" $f"; done
if [[ -z "$missing" ]]; then pass Files; else fail Files "missing in $bin_dir:$missing"; fi
if [[ ! -x "$amz" ]]; then
  echo "no executable $amz; skipping the runs" >&2
  exit 1
fi

run version --version
if [[ $rc -eq 0 && -s "$work/version.out" ]]; then pass Version; else fail Version "$(why version)"; fi

run tasks tasks
if [[ $rc -eq 0 ]] && grep -q '^two_moons ' "$work/tasks.out"; then pass Tasks; else fail Tasks "$(why tasks)"; fi

run simulate simulate two_moons --n 200 --out sims.npz
if [[ $rc -eq 0 && -s "$work/sims.npz" ]] && [[ "$(head -c 2 "$work/sims.npz")" == "PK" ]]; then pass Simulate
else fail Simulate "$(why simulate)"; fi

# Training, diagnostics, figures and the HTML report: 10 steps and 20 x 50 draws.
run fit fit two_moons --out run --epochs 1 --batches-per-epoch 10 --diagnostic-datasets 20 --diagnostic-samples 50
pngs=$(ls "$work"/run/figures/*.png 2>/dev/null | wc -l)
bad_png=""
for p in "$work"/run/figures/*.png; do
  [[ -f "$p" ]] || continue
  [[ "$(head -c 4 "$p" | tail -c 3)" == "PNG" ]] || bad_png+=" $(basename "$p")"
done
if [[ $rc -eq 0 && -s "$work/run/model.amz" && -s "$work/run/report.html" && $pngs -gt 0 && -z "$bad_png" ]]; then pass Fit
else fail Fit "$(why fit); model.amz $([[ -s $work/run/model.amz ]] && echo ok || echo missing), report.html $([[ -s $work/run/report.html ]] && echo ok || echo missing), $pngs PNG(s)${bad_png:+, not PNG:$bad_png}"; fi

printf 'x_1,x_2\n0.1,-0.2\n' >"$work/obs.csv"
run sample sample run --observation obs.csv --samples 20 --out draws.csv
if [[ $rc -eq 0 && -f "$work/draws.csv" && $(lines "$work/draws.csv") -eq 21 ]] && ! grep -qiE 'nan|inf' "$work/draws.csv"; then pass Sample
else fail Sample "$(why sample); draws.csv has $( [[ -f $work/draws.csv ]] && lines "$work/draws.csv" || echo no) lines (want 21)"; fi

printf 'theta_1,theta_2\n0.1,0.2\n-0.5,0.5\n' >"$work/theta.csv"
run logprob log-prob run --observation obs.csv --parameters theta.csv --out lp.csv
if [[ $rc -eq 0 && -f "$work/lp.csv" && $(lines "$work/lp.csv") -eq 3 ]] && head -1 "$work/lp.csv" | grep -q log_posterior \
   && ! grep -qiE 'nan|inf' "$work/lp.csv"; then pass LogProb
else fail LogProb "$(why logprob)"; fi

rm -f "$work/run/report.html" "$work/run/metrics.json"
run diagnose diagnose run --datasets 20 --samples 50
if [[ $rc -eq 0 && -s "$work/run/report.html" && -s "$work/run/metrics.json" ]]; then pass Diagnose
else fail Diagnose "$(why diagnose)"; fi

# Parquet through Parquet.Net in the native binary (its per-assembly trim warning is silenced in the csproj, so this
# run is what guards it): simulate writes Parquet, fit trains on it.
run simpq simulate two_moons --n 200 --out sims.parquet
if [[ $rc -eq 0 && "$(head -c 4 "$work/sims.parquet")" == PAR1 ]]; then pass SimulateParquet; else fail SimulateParquet "$(why simpq)"; fi
run fitpq fit --data sims.parquet --inference-variables theta --inference-conditions x --out runpq --epochs 1 \
  --batches-per-epoch 5 --diagnostic-datasets 10 --diagnostic-samples 20
if [[ $rc -eq 0 && -s "$work/runpq/model.amz" ]]; then pass FitParquet; else fail FitParquet "$(why fitpq)"; fi

# An external simulator over the process protocol (a POSIX shell worker would need npz bytes; the Python sample does
# it with numpy) trains in the native binary too.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py=${AMORTIZED_PYTHON:-/usr/bin/python3}
if "$py" -c "import numpy" 2>/dev/null; then
  run fitext fit --simulator "$py $repo/samples/ExternalSimulator/gaussian_sim.py" --inference-variables theta \
    --summary-variables x --simulator-workers 2 --out runext --epochs 1 --batches-per-epoch 5 \
    --diagnostic-datasets 10 --diagnostic-samples 20
  if [[ $rc -eq 0 && -s "$work/runext/model.amz" ]]; then pass FitExternalSimulator; else fail FitExternalSimulator "$(why fitext)"; fi
else
  fail FitExternalSimulator "no Python with numpy at $py (set AMORTIZED_PYTHON)"
fi

# Usage errors: exit 2 with exactly one line on stderr.
run cuda fit two_moons --device cuda --out run2
if [[ $rc -eq 2 && $(lines "$work/cuda.err") -eq 1 ]] && grep -q 'native (AOT) build' "$work/cuda.err"; then pass DeviceCuda
else fail DeviceCuda "want rc=2 and one stderr line, got $(why cuda) ($(lines "$work/cuda.err") lines)"; fi

# The native binary lists the CPU and says that GPUs need the JIT build (ILGPU is compiled out).
run devices devices
if [[ $rc -eq 0 ]] && grep -q '^cpu ' "$work/devices.out" && grep -q 'JIT build' "$work/devices.out"; then pass Devices
else fail Devices "$(why devices)"; fi

run badarg fit two_moons --out run3 --epochs abc
if [[ $rc -eq 2 && $(lines "$work/badarg.err") -eq 1 ]]; then pass BadArgument
else fail BadArgument "want rc=2 and one stderr line, got $(why badarg) ($(lines "$work/badarg.err") lines)"; fi

if [[ $status -eq 0 && "${KEEP:-0}" != 1 ]]; then rm -rf "$work"; else echo "outputs kept in $work"; fi
exit $status
