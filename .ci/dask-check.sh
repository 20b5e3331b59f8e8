#!/usr/bin/env bash
# The Dask recipe (samples/Dask) as a user runs it: a dask.distributed cluster simulates shards into a folder while
# `amortized fit --data FOLDER --follow` trains on them as they land.
#   (a) LocalCluster: the recipe starts 2 worker processes itself;
#   (b) a scheduler and 2 workers started as separate processes (as on a real cluster), the recipe given only the
#       scheduler's address with --scheduler.
# Each checks, from the trainer's log, that its epochs saw a growing number of shards, that it ended at its budget
# and wrote a model, and that the producer wrote every shard and _SUCCESS.
#
#   .ci/dask-check.sh [LOG]
#
# Needs the CLI built (src/Amortized.Cli/bin/Release/net10.0/amortized.dll) and a Python with numpy and
# dask.distributed ($AMORTIZED_PYTHON, else /usr/bin/python3). One "Passed!/Failed!" line per check in the format of
# `dotnet test` (appended to LOG when given). Exit status 0 when every check passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${1:-/dev/null}
status=0
check_prefix=Dask
source .ci/checks.sh
py=${AMORTIZED_PYTHON:-/usr/bin/python3}
cli="$PWD/src/Amortized.Cli/bin/Release/net10.0/amortized.dll"
recipe="$PWD/samples/Dask/simulate_dask.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/amortized-dask.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  [[ -z "${KEEP:-}" ]] && rm -rf "$work"
}
trap cleanup EXIT

if [[ ! -f "$cli" ]]; then fail Setup "the CLI is not built: $cli"; exit 1; fi
if ! "$py" -c "import numpy, dask.distributed" 2> "$work/import.err"; then
  fail Setup "$py cannot import numpy and dask.distributed: $(tail -1 "$work/import.err")"; exit 1
fi

shards=8 rows=400
# One recipe run beside one follow-mode fit. The producer's tasks sleep, as a slow simulator would, so shards land
# while training runs; the fit ends once all shards*rows simulations arrived and each was trained on (the
# --simulations budget), with --time-budget and timeouts as safety nets.
follow_run() {
  local name=$1; shift
  local dir="$work/$name" folder="$work/$name/shards"
  mkdir -p "$folder"
  "$py" "$recipe" "$folder" --shards $shards --rows $rows --sleep 1.0 "$@" > "$dir/producer.log" 2>&1 &
  local producer=$!
  pids+=("$producer")
  timeout 300 dotnet "$cli" fit --data "$folder" --follow --follow-timeout 90s \
    --inference-variables theta --inference-conditions x --out "$dir/run" \
    --simulations $((shards * rows)) --epochs 400 --batches-per-epoch 10 --batch-size 64 --threads 1 \
    --time-budget 150s --diagnostic-datasets 20 --diagnostic-samples 50 > "$dir/fit.log" 2>&1
  local fit_rc=$?
  timeout 120 tail --pid="$producer" -f /dev/null
  wait "$producer"; local producer_rc=$?
  local counts
  counts=$(sed -nE 's/^follow: epoch [0-9]+ trains on ([0-9]+) shards.*/\1/p' "$dir/fit.log" | tr '\n' ' ')
  local first last growing=1 prev=0 c
  first=$(echo "$counts" | awk '{print $1}'); last=$(echo "$counts" | awk '{print $NF}')
  for c in $counts; do (( c < prev )) && growing=0; prev=$c; done
  if [[ $fit_rc -ne 0 ]]; then
    tail -20 "$dir/fit.log"; fail "$name" "amortized fit --follow exited $fit_rc (log above)"
  elif [[ $producer_rc -ne 0 || ! -f "$folder/_SUCCESS" ]]; then
    tail -20 "$dir/producer.log"; fail "$name" "the recipe exited $producer_rc or wrote no _SUCCESS (log above)"
  elif [[ ! -f "$dir/run/model.amz" ]]; then
    fail "$name" "no model written in $dir/run"
  elif [[ -z "$first" || $growing -ne 1 || $first -ge $last || $last -ne $shards ]]; then
    grep '^follow:' "$dir/fit.log" | head -40
    fail "$name" "epochs should see a growing number of shards up to $shards; saw: $counts"
  elif ! grep -q "(simulation budget" "$dir/fit.log"; then
    tail -5 "$dir/fit.log"; fail "$name" "training did not end at the --simulations budget (log above)"
  else
    echo "$name: shards per epoch: $counts"
    pass "$name"
  fi
}

# (a) The recipe starts a LocalCluster of 2 worker processes.
follow_run LocalCluster --workers 2

# (b) A scheduler and 2 workers as separate processes, as on a cluster; the recipe only gets the address.
port=$("$py" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$py" -m distributed.cli.dask_scheduler --host 127.0.0.1 --port "$port" --no-dashboard > "$work/scheduler.log" 2>&1 &
pids+=($!)
for i in 1 2; do
  "$py" -m distributed.cli.dask_worker "tcp://127.0.0.1:$port" --nthreads 1 --no-nanny --no-dashboard \
    --name "worker-$i" > "$work/worker-$i.log" 2>&1 &
  pids+=($!)
done
follow_run RemoteScheduler --scheduler "tcp://127.0.0.1:$port" --workers 2 --seed 2

exit $status
