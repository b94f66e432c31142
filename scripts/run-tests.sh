#!/usr/bin/env bash
# The whole test suite (unit + integration against a real Docker engine), from a fresh machine.
# Prints a final "N passed, N failed" line. Exit code is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
results=.test-results.json
rm -f "$results"
bash scripts/test-env.sh || { echo "0 passed, 1 failed"; exit 1; }
bash scripts/test-tools.sh || { echo "0 passed, 1 failed"; exit 1; }
# Install once: npm writes node_modules/.package-lock.json at the end of every install, so a tree
# installed after the last change to package.json and package-lock.json is kept (a second `npm ci`
# rebuilds the native modules: minutes on a fresh machine).
hidden=node_modules/.package-lock.json
if [ "$hidden" -nt package-lock.json ] && [ "$hidden" -nt package.json ] && [ -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  echo "node_modules is installed from the current package-lock.json; not installing again" >&2
else
  npm ci --no-fund --no-audit || { echo "0 passed, 1 failed"; exit 1; }
fi
npm test -- --reporter=default --reporter=json --outputFile.json="$results"
rc=$?
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0;
  try { const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); passed = r.numPassedTests; failed = r.numFailedTests;
    // A file that failed without a failing test (import or hook error) counts once; describe blocks are not counted again.
    for (const f of r.testResults || []) if (f.status === "failed" && !(f.assertionResults || []).some((a) => a.status === "failed")) failed++; } catch { failed = 1; }
  if (process.argv[2] !== "0" && failed === 0) failed = 1; // build, typecheck or lint failed before the tests ran
  console.log(`${passed} passed, ${failed} failed`);
' "$results" "$rc"
exit $rc
