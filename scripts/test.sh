#!/usr/bin/env bash
# Runs every test: venv, install, train if stale (once), lint, then the whole pytest suite.
source "$(dirname "$0")/common.sh"
ensure_venv
ensure_chromium
ensure_model

log "ruff"
ruff check bot actions tests benchmarks
log "pytest"
set +e
python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit "$status"
