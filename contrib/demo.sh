#!/bin/sh
# The main job: install, build, and show cryo at work on this machine.
set -u
cd "$(dirname "$0")/.." || exit 1
./contrib/install-deps.sh || exit 1
[ -f build/build.ninja ] || meson setup build >/dev/null || exit 1
ninja -C build >/dev/null || exit 1

echo "== cryo-cr check: what this kernel gives cryo"
./build/cr/cryo-cr check
