#!/bin/sh
# An OCI runtime stand-in that records how an engine calls it, then execs the real runtime.
#
# Engines pick behaviour from the runtime's file name (podman looks "runc"/"crun"/"cryo" up in
# runtime_supports_json), so install this script under the name of the runtime it stands for,
# next to a file "spy.env" that sets:
#   SPY_REAL  path of the real runtime to exec
#   SPY_LOG   file to append records to
# (A file rather than the environment, because engines do not pass their environment through:
# containerd's shim and conmon build their own.) SPY_REAL/SPY_LOG in the environment win.
#
# Each call appends one record: argv (one argument per line), cwd, the open fds and what they
# point at, and the environment; the bundle's config.json and exec's process.json are copied
# to $SPY_LOG.files/. The runtime itself gets the very same argv, fds and env.
here=$(dirname "$0")
real=${SPY_REAL:-}
log=${SPY_LOG:-}
if [ -z "$real" ] && [ -r "$here/spy.env" ]; then
	. "$here/spy.env"
	real=$SPY_REAL
	log=$SPY_LOG
fi
if [ -z "$real" ]; then
	echo "runtime-spy: SPY_REAL not set and no $here/spy.env" >&2
	exit 127
fi

# List the inherited fds now, in this shell, before any redirection or subshell adds its own.
# Probe numbers one by one: globbing /proc/$$/fd would list the glob's own directory fd.
fds=""
script=$(readlink -f "$0")
n=0
while [ $n -lt 1024 ]; do
	if [ -e /proc/$$/fd/$n ]; then
		target=$(readlink /proc/$$/fd/$n)
		case "$target" in
		socket:\[*\])
			# Name a unix socket by its path (or its peer's, for a socketpair end).
			inode=${target#socket:[}
			inode=${inode%]}
			target="$target unix $(awk -v i="$inode" '$7 == i {print ($8 == "" ? "(unnamed)" : $8)}' /proc/net/unix)"
			;;
		esac
		# The shell holds the script itself open on a high fd; that one is not inherited.
		[ "$target" != "$script" ] && fds="$fds
fd $n -> $target"
	fi
	n=$((n + 1))
done

record() {
	echo "=== $(date -u +%H:%M:%S.%N) pid $$ ppid $PPID as $0"
	for a in "$@"; do
		printf 'argv: %s\n' "$a"
	done
	printf 'cwd: %s%s\n' "$(pwd)" "$fds"
	env | sort | sed 's/^/env: /'
}

# Keep copies of the files the call hands over (the bundle's config.json, exec's process.json):
# engines delete them soon after. Saved as $SPY_LOG.files/<pid>-<name>.
save_inputs() {
	mkdir -p "$log.files"
	while [ $# -gt 0 ]; do
		case "$1" in
		--bundle|-b) [ -r "${2:-}/config.json" ] && cp "$2/config.json" "$log.files/$$-config.json"; shift ;;
		--bundle=*|-b=*) [ -r "${1#*=}/config.json" ] && cp "${1#*=}/config.json" "$log.files/$$-config.json" ;;
		--process|-p) [ -r "${2:-}" ] && cp "$2" "$log.files/$$-process.json"; shift ;;
		--process=*) [ -r "${1#*=}" ] && cp "${1#*=}" "$log.files/$$-process.json" ;;
		esac
		shift
	done
}

if [ -n "$log" ]; then
	# Serialise concurrent calls so records do not interleave.
	if command -v flock >/dev/null 2>&1; then
		( flock 9; record "$@" >>"$log" 2>&1 ) 9>>"$log.lock"
	else
		record "$@" >>"$log" 2>&1
	fi
	save_inputs "$@" 2>/dev/null
fi
exec "$real" "$@"
