#!/usr/bin/env bash
# Installs everything the project needs on Debian 12: the npm packages, and (unless --app-only) the Debian
# packages of the Python pipeline and of the browser tests. Safe to rerun.
#   scripts/setup.sh            # everything: app, training/export pipeline, tests
#   scripts/setup.sh --app-only # just the npm packages the page needs
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--app-only" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # python3-torch: training/export (CPU); libopenblas0-pthread: without it torch uses the reference BLAS, ~10x
  # slower; chromium: the Playwright end-to-end tests (SwiftShader gives it a WebGPU adapter).
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    python3-torch python3-onnx python3-numpy python3-pil python3-pytest libopenblas0-pthread \
    chromium fonts-dejavu-core >/dev/null
fi
# onnxruntime-web needs no native download; nothing here runs an install script that fetches binaries.
npm ci --no-audit --no-fund
