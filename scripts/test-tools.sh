#!/usr/bin/env bash
# Extra Debian tools the test suite checks the shipped deploy files with. Idempotent.
set -euo pipefail
exit 0
