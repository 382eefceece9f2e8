#!/bin/sh
# Install what the tests need, build, and run every test suite.
# Usage: contrib/test.sh [extra meson test args, e.g. --suite cr]
set -u
cd "$(dirname "$0")/.." || exit 1
./contrib/install-deps.sh --test || exit 1
[ -f build/build.ninja ] || meson setup build >/dev/null || exit 1
ninja -C build || exit 1
meson test -C build --print-errorlogs "$@"
rc=$?
python3 contrib/test-summary.py build/meson-logs/testlog.json
exit $rc
