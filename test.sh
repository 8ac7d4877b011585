#!/usr/bin/env bash
# Install with test tools, then run lint and the test suite (real models, real Chroma).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh --dev
export HF_HUB_OFFLINE=1
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
