#!/usr/bin/env bash
# Runs every program under samples/ (built by `dotnet build Engine.sln`) on a tiny budget, as a user would run it,
# and checks the line each prints when it worked. QuickStart runs in .ci/readme-check.sh, PackageConsumer in
# .ci/pack-check.sh.
#
#   .ci/samples-check.sh [LOG]
#
# One "Passed!/Failed!" line per sample in the format of `dotnet test` (appended to LOG when given). Exit status 0
# when every sample ran, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
log=${1:-/dev/null}
status=0
check_prefix=Samples
source .ci/checks.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/amortized-samples.XXXXXX")

# name, arguments for a tiny budget, a line the program prints only when it got to the end
run_sample() {
  local name=$1 args=$2 expect=$3
  local dll="$PWD/samples/$name/bin/Release/net10.0/$name.dll"
  if [[ ! -f "$dll" ]]; then fail "$name" "not built: $dll"; return; fi
  mkdir -p "$work/$name"
  # shellcheck disable=SC2086
  if (cd "$work/$name" && timeout 600 dotnet "$dll" $args) > "$work/$name.out" 2>&1 && grep -q "$expect" "$work/$name.out"; then
    pass "$name"
  else
    tail -20 "$work/$name.out"
    fail "$name" "the sample failed or did not print '$expect' (output above)"
  fi
}

run_sample Starter --quick "report: "
run_sample LinearRegression 2 "posterior means: beta\[0\]"
run_sample ModelComparison 2 "report: "
run_sample Hierarchical 2 "report: "

[[ $status -eq 0 && -z "${KEEP:-}" ]] && rm -rf "$work"
exit $status
