# bash completion for cryo (the OCI runtime). Source it or install it in
# /usr/share/bash-completion/completions/cryo.
_cryo_ids()
{
	local root=/run/cryo i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root|-root) root=${COMP_WORDS[i + 1]} ;;
		--root=*|-root=*) root=${COMP_WORDS[i]#*=} ;;
		esac
	done
	[ -d "$root" ] && (cd "$root" && ls -d -- */ 2>/dev/null | sed 's:/$::')
}

_cryo()
{
	local cur prev verb i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local verbs="create start run state kill delete list ps exec pause resume update events spec features checkpoint restore help"
	local globals="--root --log --log-format --debug --systemd-cgroup --version --help"

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--root|--log|--log-format|-root|-log|-log-format) ((i++)) ;;
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	--root|--bundle|-b|--image-path|--work-path) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--log|--pid-file|--process|-p|--console-socket|--resources|-r) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--log-format) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
	--format|-f) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
	esac
	if [ -z "${verb:-}" ]; then
		COMPREPLY=($(compgen -W "$verbs $globals" -- "$cur"))
		return
	fi
	local opts
	case $verb in
	create) opts="--bundle --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds" ;;
	run) opts="--bundle --console-socket --pid-file --detach --keep --no-pivot --no-new-keyring --preserve-fds" ;;
	kill) opts="--all" ;;
	delete) opts="--force" ;;
	list) opts="--format --quiet"; COMPREPLY=($(compgen -W "$opts" -- "$cur")); return ;;
	ps) opts="--format" ;;
	exec) opts="--process --detach --tty --console-socket --pid-file --env --cwd --user --cap --preserve-fds --no-new-privs" ;;
	update) opts="--resources --memory --memory-swap --memory-reservation --cpu-shares --cpu-quota --cpu-period --cpuset-cpus --cpuset-mems --pids-limit --blkio-weight" ;;
	events) opts="--stats --interval" ;;
	spec) opts="--bundle --rootless"; COMPREPLY=($(compgen -W "$opts" -- "$cur")); return ;;
	features|help) return ;;
	checkpoint) opts="--image-path --work-path --parent-path --leave-running --tcp-established --ext-unix-sk --shell-job --lazy-pages --file-locks --pre-dump --manage-cgroups-mode --empty-ns --auto-dedup" ;;
	restore) opts="--image-path --work-path --bundle --detach --pid-file --console-socket --tcp-established --ext-unix-sk --shell-job --file-locks --manage-cgroups-mode --no-pivot --lazy-pages" ;;
	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$(_cryo_ids)" -- "$cur"))
	fi
}
complete -F _cryo cryo
