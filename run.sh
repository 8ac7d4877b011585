#!/usr/bin/env bash
# Install (first time), ingest the corpus if the index is empty, start the chat on http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
export HF_HUB_OFFLINE=1
exec .venv/bin/quellen chat "$@"
