#!/usr/bin/env bash
# Runs the README as a new user would, on a tiny budget (about a minute):
#   1. every ```bash block preceded by the line <!-- ci: run --> is run in order in one scratch folder, with
#      `amortized` meaning the command given here and a tiny training budget appended to each `fit`;
#   2. every ```csharp block preceded by <!-- ci: same-as PATH --> must be exactly the file PATH (PATH#NAME: the
#      lines of its `#region NAME`), and every ```csharp block must have such a line, so every snippet compiles;
#   3. samples/QuickStart (the README's C# quick start) is run with 1 epoch.
#
#   .ci/readme-check.sh AMORTIZED_COMMAND QUICKSTART_DLL [LOG]
#
# Each check prints one "Passed!/Failed!" line in the format of `dotnet test` (appended to LOG when given, so
# .ci/run counts it). Exit status: 0 when every check passed, 1 otherwise, 2 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 AMORTIZED_COMMAND QUICKSTART_DLL [LOG]" >&2
  exit 2
fi
amz=$1
quickstart=$2
log=${3:-/dev/null}
work=$(mktemp -d "${TMPDIR:-/tmp}/amortized-readme.XXXXXX")
status=0
tiny=(--epochs 1 --batches-per-epoch 5 --batch-size 64 --diagnostic-datasets 20 --diagnostic-samples 50)

check_prefix=Readme
source .ci/checks.sh   # the working folder is the repository root (cd above)

# 1. The shell examples, as one script: later blocks use the files earlier ones wrote.
script="$work/readme.sh"
python3 - "$script" "${tiny[*]}" <<'PY'
import re, sys
out, tiny = sys.argv[1], sys.argv[2]
lines = open("README.md", encoding="utf-8").read().split("\n")
blocks, i = [], 0
while i < len(lines):
    if lines[i].strip() == "<!-- ci: run -->":
        j = i + 1
        assert lines[j].startswith("```bash"), f"README line {j + 1}: <!-- ci: run --> must precede a ```bash block"
        k = j + 1
        while not lines[k].startswith("```"):
            k += 1
        blocks.append(lines[j + 1:k])
        i = k
    i += 1
with open(out, "w") as f:
    f.write("set -euo pipefail\n")
    for n, block in enumerate(blocks):
        f.write(f"echo '--- README block {n + 1}'\n")
        for line in block:
            if re.match(r"\s*amortized\s+fit\b", line):
                line = line.split("#")[0].rstrip() + " " + tiny
            f.write(line + "\n")

PY
blocks=$(grep -c "^echo '--- README block" "$script" || true)
if [[ "$blocks" -lt 1 ]]; then
  fail ShellExamples "no <!-- ci: run --> block found in README.md"
else
  mkdir -p "$work/bin"
  printf '#!/usr/bin/env bash\nexec %q "$@"\n' "$amz" > "$work/bin/amortized"
  chmod +x "$work/bin/amortized"
  if (cd "$work" && PATH="$work/bin:$PATH" timeout 600 bash "$script") > "$work/readme.out" 2>&1; then
    pass "ShellExamples($blocks blocks)"
  else
    tail -20 "$work/readme.out"
    fail ShellExamples "a README shell example failed (output above)"
  fi
fi

# 2. C# blocks (README.md and the packages' README) stand for a sample file or region, line for line.
if python3 - <<'PY'
import sys
bad, found = 0, 0
for readme in ["README.md", "docs/package-readme.md"]:
  lines = open(readme, encoding="utf-8").read().split("\n")
  for i, line in enumerate(lines):
      s = line.strip()
      if s.startswith("<!-- ci: same-as ") and s.endswith("-->"):
          path = s[len("<!-- ci: same-as "):-3].strip()
          k = i + 2
          while not lines[k].startswith("```"):
              k += 1
          shown = "\n".join(lines[i + 2:k]).strip("\n")
          # PATH#NAME: only the lines between "#region NAME" and the next "#endregion" of the file.
          path, _, region = path.partition("#")
          actual = open(path, encoding="utf-8").read()
          if region:
              start = actual.index(f"#region {region}\n") + len(f"#region {region}\n")
              actual = actual[start:actual.index("#endregion", start)]
          actual = actual.strip("\n")
          found += 1
          if shown != actual:
              bad += 1
              print(f"{readme} line {i + 1}: the block differs from {path}")
      elif line.startswith("```csharp") and not lines[i - 1].strip().startswith("<!-- ci: same-as "):
          bad += 1
          print(f"{readme} line {i + 1}: a C# block without <!-- ci: same-as PATH --> (make it part of a sample)")
sys.exit(1 if bad or not found else 0)
PY
then pass CSharpBlocksAreTheSamples; else fail CSharpBlocksAreTheSamples "see above"; fi

# 3. The C# quick start runs.
if (cd "$work" && timeout 600 dotnet "$quickstart" 1) > "$work/quickstart.out" 2>&1 \
  && grep -q "posterior mean of mu" "$work/quickstart.out"; then
  pass QuickStartSample
else
  tail -20 "$work/quickstart.out"
  fail QuickStartSample "samples/QuickStart failed (output above)"
fi

[[ $status -eq 0 && -z "${KEEP:-}" ]] && rm -rf "$work"
exit $status
