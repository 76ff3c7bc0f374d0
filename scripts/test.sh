#!/usr/bin/env bash
# Runs every test: venv, install, train if stale (once), lint, then the whole pytest suite.
source "$(dirname "$0")/common.sh"
ensure_venv
ensure_test_packages
ensure_model

log "ruff"
ruff check bot actions devtools tests benchmarks
# The production profile's run: its own fault tests, and the end-to-end tests that matter most again,
# on two gateways, rasa servers and action servers over PostgreSQL and Redis.
PRODUCTION_TESTS=(
  tests/e2e/production
  tests/e2e/test_conversations.py
  tests/e2e/test_gateway.py
  tests/e2e/hostile_input
  tests/e2e/test_lookup_outcomes.py
  tests/e2e/test_load_benchmark_smoke.py
  tests/e2e/test_support_handoff.py
)
TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
export TEST_POSTGRES_URL TEST_REDIS_URL

run_pytest() {
  local status
  set +e
  python -m pytest "$@"
  status=$?
  set -e
  if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests" >&2
    return 1
  fi
  return "$status"
}

log "pytest: the embedded default profile (SQLite, in-process state)"
run_pytest "$@"
# The production run also shows that nothing depends on the hour the suite runs at: its servers and
# tests see the clock faked to just after midnight in Shanghai, on a Monday that ends a month.
FAKED_MOMENT=2026-11-30T00:05:00+08:00
log "pytest: the production profile (PostgreSQL $TEST_POSTGRES_URL, Redis $TEST_REDIS_URL; two of each process), its clock faked to $FAKED_MOMENT"
# One clear line, naming the variable to set, if PostgreSQL or Redis is missing.
python -c 'import sys
from devtools.processes import ProductionStores
try:
    ProductionStores(sys.argv[1], sys.argv[2]).check_reachable()
except RuntimeError as missing:
    sys.exit(str(missing))' "$TEST_POSTGRES_URL" "$TEST_REDIS_URL"
(
  while IFS= read -r assignment; do eval "export $assignment"; done < <(python -m devtools.clock "$FAKED_MOMENT")
  ASSISTANT_PROFILE=production run_pytest "${PRODUCTION_TESTS[@]}" "$@"
)
