#!/usr/bin/env bash
# The packages as a stranger gets them (#22): pack Engine.sln to a local folder, check what went in, install the
# `amortized` tool from that folder into a temporary tool path, run `fit` and `sample` with it on a tiny budget, then
# build and run samples/PackageConsumer (a console app that references Amortized.Inference as a package) against the
# same folder. About a minute on 2 cores after a Release build.
#
#   .ci/pack-check.sh [--no-build] [LOG]
#
# --no-build packs the existing Release build (as .ci/run does, right after building). Each check prints one
# "Passed!/Failed!" line in the format of `dotnet test` (and appends it to LOG when given, so .ci/run counts it).
# Works in a temporary folder, removed at the end unless a check failed or KEEP=1.
# Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."

build_arg=()
if [[ "${1:-}" == --no-build ]]; then build_arg=(--no-build); shift; fi
if [[ $# -gt 1 ]]; then echo "usage: $0 [--no-build] [LOG]" >&2; exit 2; fi
log=${1:-/dev/null}
[[ "$log" == /* || "$log" == /dev/null ]] || log="$PWD/$log"
work=$(mktemp -d "${TMPDIR:-/tmp}/amortized-pack.XXXXXX")
status=0
limit=${PACK_CHECK_TIMEOUT:-300}   # seconds per command

check_prefix=Pack
source .ci/checks.sh   # the working folder is the repository root (cd above)
finish() {
  if [[ $status -eq 0 && "${KEEP:-0}" != 1 ]]; then rm -rf "$work"; else echo "outputs kept in $work"; fi
  exit $status
}
# step NAME CMD...: runs CMD with output in $work/NAME.log; sets $rc.
step() {
  local name=$1; shift
  timeout "$limit" "$@" >"$work/$name.log" 2>&1
  rc=$?
}
why() { echo "rc=$rc; $(grep -m3 -iE 'error|warn|fail|unhandled' "$work/$1.log" | cut -c1-300 | tr '\n' ' ')"; }

version=$(dotnet msbuild src/Amortized.Inference/Amortized.Inference.csproj -getProperty:Version 2>/dev/null | tr -d '[:space:]')
pkgs="$work/packages"

# --- pack: exactly the user-facing packages, each with its symbols, no warning -----------------------------------------
step pack dotnet pack Engine.sln -c Release "${build_arg[@]}" -o "$pkgs"
expected="amortized Amortized.Gpu Amortized.Inference Amortized.Kernels.Cpu Amortized.Kernels.Gpu Amortized.Networks Amortized.Parquet Amortized.Plots Amortized.Tensors"
want=$(for p in $expected; do echo "$p.$version.nupkg"; echo "$p.$version.snupkg"; done | sort)
got=$(ls "$pkgs" 2>/dev/null | sort)
if [[ $rc -eq 0 && -n "$version" && "$got" == "$want" ]] && ! grep -qE "warning [A-Z]+[0-9]+" "$work/pack.log"; then pass Pack
else fail Pack "$(why pack); version '$version'; unexpected: $(comm -13 <(echo "$want") <(echo "$got") | tr '\n' ' ')missing: $(comm -23 <(echo "$want") <(echo "$got") | tr '\n' ' ')"; fi

# --- contents: readme, licence, metadata; XML docs in the libraries; the tool with the Skia natives ---------------------
bad=""
for p in $expected; do
  f="$pkgs/$p.$version.nupkg"
  [[ -f "$f" ]] || { bad+=" $p(missing)"; continue; }
  files=$(unzip -Z1 "$f")
  nuspec=$(unzip -p "$f" "$p.nuspec")
  for need in README.md LICENSE; do grep -qx "$need" <<<"$files" || bad+=" $p(no $need)"; done
  grep -q '<license type="expression">MIT</license>' <<<"$nuspec" || bad+=" $p(licence)"
  grep -q '<readme>README.md</readme>' <<<"$nuspec" || bad+=" $p(readme)"
  grep -q "<authors>The Amortized authors</authors>" <<<"$nuspec" || bad+=" $p(authors)"
  grep -q "<description>Package Description</description>" <<<"$nuspec" && bad+=" $p(description)"
  if [[ $p == amortized ]]; then
    for need in tools/net10.0/any/amortized.dll tools/net10.0/any/DotnetToolSettings.xml \
                tools/net10.0/any/runtimes/linux-x64/native/libSkiaSharp.so \
                tools/net10.0/any/runtimes/linux-x64/native/libHarfBuzzSharp.so; do
      grep -qx "$need" <<<"$files" || bad+=" $p(no $need)"
    done
  else
    for need in "lib/net10.0/$p.dll" "lib/net10.0/$p.xml"; do grep -qx "$need" <<<"$files" || bad+=" $p(no $need)"; done
    symbols=$(unzip -Z1 "$pkgs/$p.$version.snupkg" 2>/dev/null)
    grep -qx "lib/net10.0/$p.pdb" <<<"$symbols" || bad+=" $p(no pdb in snupkg)"
  fi
done
if [[ -z "$bad" ]]; then pass Contents; else fail Contents "$bad"; fi

# --- the tool, installed from the folder only (no other source) ----------------------------------------------------
cat >"$work/tool-nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local" value="$pkgs" /></packageSources></configuration>
EOF
step install dotnet tool install amortized --tool-path "$work/tool" --configfile "$work/tool-nuget.config" \
  --add-source "$pkgs" --version "$version"
amz="$work/tool/amortized"
if [[ $rc -eq 0 && -x "$amz" ]]; then pass ToolInstall; else fail ToolInstall "$(why install)"; fi

if [[ -x "$amz" ]]; then
  step fit "$amz" fit two_moons --simulations 500 --epochs 2 --out "$work/run" --diagnostic-datasets 20 \
    --diagnostic-samples 50
  pngs=0; bad_png=""
  for p in "$work"/run/figures/*.png; do
    [[ -f "$p" ]] || continue
    pngs=$((pngs + 1))
    [[ "$(head -c 4 "$p" | tail -c 3)" == "PNG" ]] || bad_png+=" $(basename "$p")"
  done
  if [[ $rc -eq 0 && -s "$work/run/model.amz" && -s "$work/run/report.html" && $pngs -gt 0 && -z "$bad_png" ]]; then
    pass ToolFit
  else fail ToolFit "$(why fit); report.html $([[ -s $work/run/report.html ]] && echo ok || echo missing), $pngs PNG(s)${bad_png:+, not PNG:$bad_png}"; fi

  printf 'x_1,x_2\n0.1,-0.2\n' >"$work/obs.csv"
  step sample "$amz" sample "$work/run" --observation "$work/obs.csv" --samples 100 --out "$work/s.csv"
  if [[ $rc -eq 0 && -f "$work/s.csv" && $(wc -l <"$work/s.csv") -eq 101 ]] && ! grep -qiE 'nan|inf' "$work/s.csv"; then
    pass ToolSample
  else fail ToolSample "$(why sample); s.csv has $([[ -f $work/s.csv ]] && wc -l <"$work/s.csv" || echo no) lines (want 101)"; fi

  # The README as written, with `amortized` being this installed tool (.ci/readme-check.sh: its shell examples, its
  # C# block against samples/QuickStart, and that sample run; one line per check).
  bash .ci/readme-check.sh "$amz" "$PWD/samples/QuickStart/bin/Release/net10.0/QuickStart.dll" "$log" || status=1
else
  fail ToolFit "no tool installed"; fail ToolSample "no tool installed"
fi

# --- a consumer project on the packages: Amortized.* from the folder only, anything else from the machine's package
# cache or nuget.org; its own package cache, so packages of an earlier run with the same version are never reused -------
cp -r samples/PackageConsumer "$work/consumer"
rm -rf "$work/consumer/bin" "$work/consumer/obj"
cache=$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')
cache_source=""; cache_map=""
if [[ -d "$cache" ]]; then
  cache_source="<add key=\"machine-cache\" value=\"$cache\" />"
  cache_map="<packageSource key=\"machine-cache\"><package pattern=\"*\" /></packageSource>"
fi
cat >"$work/consumer/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/nuget-packages" /></config>
  <packageSources>
    <clear />
    <add key="local" value="$pkgs" />
    $cache_source
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Amortized.*" /></packageSource>
    $cache_map
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
EOF
step consumer-build dotnet build "$work/consumer" -c Release -p:AmortizedVersion="$version"
if [[ $rc -eq 0 ]] && ! grep -qE "warning [A-Z]+[0-9]+" "$work/consumer-build.log"; then pass ConsumerBuild
else fail ConsumerBuild "$(why consumer-build)"; fi
step consumer-run dotnet "$work/consumer/bin/Release/net10.0/PackageConsumer.dll"
cat "$work/consumer-run.log"
if [[ $rc -eq 0 ]] && grep -q ': ok$' "$work/consumer-run.log"; then pass ConsumerRun
else fail ConsumerRun "$(why consumer-run) $(tail -2 "$work/consumer-run.log" | tr '\n' ' ')"; fi

finish
