#!/usr/bin/env bash
# Usage: patch-torchsharp.sh DIR...   Patches libLibTorchSharp.so in each DIR that has it (idempotent).
# TorchSharp 0.107.0's libLibTorchSharp.so needs GLIBCXX_3.4.32 (GCC 13) for one symbol, std::ios_base_library_init();
# Debian 12's libstdc++ stops at 3.4.30. A tiny shim library defines the symbol, and the version need is weakened so
# the loader accepts the old libstdc++ (shared/probes.md section 7: clearing the symbol version alone is not enough).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for dir in "$@"; do
  lib="$dir/libLibTorchSharp.so"
  [ -f "$lib" ] || continue
  if patchelf --print-needed "$lib" | grep -q libiosshim.so; then continue; fi
  command -v patchelf >/dev/null || { echo "patch-torchsharp.sh: patchelf is missing (apt-get install -y patchelf)" >&2; exit 1; }
  g++ -shared -fPIC -O2 -o "$dir/libiosshim.so" "$here/iosshim.cpp"
  python3 "$here/weaken_verneed.py" "$lib" GLIBCXX_3.4.32
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"
  patchelf --add-needed libiosshim.so "$lib"     # RUNPATH is $ORIGIN, so the shim next to it is found
done
