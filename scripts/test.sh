#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint, unit, real-sshd integration and lab tests.
# Ends with one plain line "N passed, N failed" for CI.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

if ! node_modules/.bin/tsc --noEmit; then
  echo "type check failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Formatting and lint rules (biome), and no file, export or dependency without a user (knip).
if ! node_modules/.bin/biome check . || ! node_modules/.bin/knip; then
  echo "lint failed (npm run lint; npm run format fixes the formatting)"
  echo "0 passed, 1 failed"
  exit 1
fi

# The lab tests make their own labs under the same fixed names as the demo's: the demo lab goes.
if [ "$(cat /run/pbx-lab.owner 2>/dev/null)" = "$PWD/.lab" ]; then
  echo "taking the demo lab (.lab) down first: the lab tests need its names (bash scripts/demo.sh brings it back)"
  PBX_LAB_DIR=.lab node_modules/.bin/ts-node engine lab down
fi

report=$(mktemp /tmp/engine-vitest-XXXXXX.json)
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile="$report"
status=$?
node -e '
  const r = require(process.argv[1]);
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || echo "0 passed, 1 failed"
rm -f "$report"
exit $status
