#!/usr/bin/env bash
# Create .venv and install matcher with its test tools. torch==2.13.0 goes first: that pin is the CPU build
# on this kind of machine; an unpinned torch pulled in by sentence-transformers would be a multi-GB CUDA build.
# Elsewhere, get the CPU wheel with: pip install torch --index-url https://download.pytorch.org/whl/cpu
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q "torch==${MATCHER_TORCH_VERSION:-2.13.0}" 2>&1 | grep -v '^WARNING' || true
# ray (Ray batch) and milvus (the Milvus store, Milvus Lite) are optional for users; CI installs them so their tests run.
.venv/bin/python -m pip install -q -e ".[test,ray,milvus]" 2>&1 | grep -v '^WARNING' || true
# The browser tests drive Debian's chromium through Playwright (executable_path; never `playwright install`, which
# downloads a browser build). Installed here when missing, so a fresh machine (and CI, as root) runs them.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
            || echo "warning: could not install chromium; the browser tests will skip"
    else
        echo "note: 'sudo apt-get install chromium' to run the browser tests (they skip without it)"
    fi
fi
.venv/bin/python -c "import torch, sentence_transformers, faiss, matcher; print('matcher ready: torch', torch.__version__)"
