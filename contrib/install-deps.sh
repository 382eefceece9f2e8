#!/bin/sh
# Install what cryo needs on Debian 12, idempotently: build deps, plus test deps with --test.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lists="$here/deps/build.txt"
[ "${1:-}" = "--test" ] && lists="$lists $here/deps/test.txt"
pkgs=$(cat $lists | sed 's/#.*//' | tr -s ' \n' ' ')
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q $missing >/dev/null
