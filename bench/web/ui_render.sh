#!/usr/bin/env bash
# Render speed of the web UI's 120-battery string page in Chromium against `btms demo`: the
# median render driven by live updates and the cold load (live data arrived -> rendered), each
# against its 50 ms limit. Exits non-zero on a miss. Run it on a machine left alone: the figures
# are milliseconds of one browser's main thread. Needs the UI built (web/dist) and build/btms.
set -euo pipefail
cd "$(dirname "$0")/../../web"
BTMS_UI_BENCH=1 node --test --test-name-pattern='120-battery string page' e2e/operations.test.mjs
