# bash completion for countersign(1): commands, each command's options, the
# values of --format and --kind, run ids, SECTION and SECTION/ITEM of a run,
# engineer names, and file names for checklists, runbooks (import) and
# variables files.
#
# Runs, sections and engineers are read from the database the command line
# names (--db, else COUNTERSIGN_DB, else the default) with the commands that
# only read; a missing or unreadable database completes nothing and prints
# nothing. It needs bash alone (not the bash-completion package).

# The commands, as `countersign --help` lists them.
_countersign_commands="open review lint import engineer start runs status check attest waive choose sign override note abort export audit verify checkpoint watch db help"

# Options that take a value: the word after them is not a positional.
_countersign_valued="--db --engineer --var --var-file --title --reason --incident --comment --meaning --note --value --full-name --role --by --add --remove --run --format --output -o --anchor --checkpoint --since --until --kind"

# _countersign_options COMMAND [SUBCOMMAND]: the options COMMAND accepts.
_countersign_options()
{
	case $1 in
	open) echo "--var-file --var --title --run" ;;
	lint) echo "--outline" ;;
	import) echo "-o --output --force" ;;
	engineer)
		case $2 in
		add) echo "--full-name --role --by --pin-stdin" ;;
		role) echo "--add --remove --by --pin-stdin" ;;
		pin) echo "--pin-stdin" ;;
		list) echo "--json" ;;
		esac
		;;
	start) echo "--engineer --var-file --var --title --pin-stdin" ;;
	runs) echo "--all --json" ;;
	status) echo "--json" ;;
	check) echo "--engineer --var-file --var --yes --recover --reason --cancel --pin-stdin" ;;
	attest) echo "--engineer --note --value --fail --yes --pin-stdin" ;;
	waive) echo "--engineer --reason --pin-stdin" ;;
	choose) echo "--engineer --pin-stdin" ;;
	sign) echo "--engineer --meaning --reject --comment --pin-stdin" ;;
	override) echo "--engineer --reason --incident --request --confirm --pin-stdin" ;;
	note) echo "--engineer --pin-stdin" ;;
	abort) echo "--engineer --reason --pin-stdin" ;;
	export) echo "--format -o --output" ;;
	audit) echo "--run --engineer --since --until --kind --json" ;;
	verify) echo "--anchor --checkpoint" ;;
	checkpoint) echo "-o --output" ;;
	watch) echo "--once" ;;
	esac
}

# _countersign_query ARGS...: countersign ARGS on the database the command
# line names; its errors (no database yet) are dropped.
_countersign_query()
{
	if [ -n "$_countersign_db" ]; then
		command countersign --db "$_countersign_db" "$@" 2>/dev/null
	else
		command countersign "$@" 2>/dev/null
	fi
}

# The ids of the runs: every run with "all", else the open ones.
_countersign_runs()
{
	if [ "$1" = all ]; then
		_countersign_query runs --all --json
	else
		_countersign_query runs --json
	fi | awk '{
		line = $0
		while (match(line, /"id":[ \t]*"[a-z0-9]+"/)) {
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			sub(/^"id":[ \t]*"/, "", tok)
			sub(/"$/, "", tok)
			print tok
		}
	}'
}

_countersign_engineers()
{
	_countersign_query engineer list --json | awk '{
		line = $0
		while (match(line, /"name":[ \t]*"[^"\\]+"/)) {
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			sub(/^"name":[ \t]*"/, "", tok)
			sub(/"$/, "", tok)
			print tok
		}
	}'
}

# _countersign_targets RUN: the run's sections, and SECTION/ITEM for each of
# their items, from `status RUN --json` (ids are [a-z0-9-], so they need no
# unescaping; an item's "id" comes after its section's "items").
_countersign_targets()
{
	_countersign_query status "$1" --json | awk '{
		line = $0
		while (match(line, /"(sections|items|signatures|id)":[ \t]*("[a-z0-9-]*"|\[)/)) {
			tok = substr(line, RSTART, RLENGTH)
			line = substr(line, RSTART + RLENGTH)
			if (tok ~ /^"sections"/)
				started = 1
			else if (tok ~ /^"items"/)
				in_items = 1
			else if (tok ~ /^"signatures"/)
				in_items = 0
			else if (started) {
				sub(/^"id":[ \t]*"/, "", tok)
				sub(/"$/, "", tok)
				if (in_items)
					print section "/" tok
				else {
					section = tok
					print section
				}
			}
		}
	}'
}

# _countersign_files PATTERN: file names matching PATTERN, and folders.
_countersign_files()
{
	local cur=$1 pattern=$2
	compopt -o filenames 2>/dev/null
	# one name a line, so that names with spaces stay whole
	mapfile -t COMPREPLY < <(compgen -d -- "$cur"; compgen -f -X "!$pattern" -- "$cur")
}

# _countersign_words WORDS...: the words among WORDS that start with $cur.
_countersign_words()
{
	COMPREPLY=($(compgen -W "$*" -- "$cur"))
}

_countersign()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	local IFS=$' \t\n'
	COMPREPLY=()

	# --opt=VALUE: bash splits it into "--opt" "=" "VALUE"
	if [ "$cur" = "=" ] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		cur=
	elif [ "$prev" = "=" ] && ((COMP_CWORD > 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	# The command, its positionals before the cursor, and --db.
	local _countersign_db=${COUNTERSIGN_DB:-} cmd= sub= i w
	local -a pos=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--db)
			# --db PATH, or --db=PATH as bash splits it: "--db" "=" "PATH"
			[ "${COMP_WORDS[i + 1]:-}" = "=" ] && ((i++))
			((i + 1 < COMP_CWORD)) && _countersign_db=${COMP_WORDS[i + 1]}
			((i++))
			;;
		--db=*) _countersign_db=${w#--db=} ;;
		-*)
			if [[ " $_countersign_valued " == *" $w "* ]]; then
				((i++))
				[ "${COMP_WORDS[i]}" = "=" ] && ((i++))
			fi
			;;
		=) ;;
		*)
			if [ -z "$cmd" ]; then
				cmd=$w
			else
				pos+=("$w")
			fi
			;;
		esac
	done
	# A leading ~ is not expanded in a --db value taken from the line.
	case $_countersign_db in
	"~/"*) _countersign_db=$HOME/${_countersign_db#"~/"} ;;
	esac
	[ "$cmd" = engineer ] && sub=${pos[0]:-}

	# The value of an option.
	case $prev in
	--db) _countersign_files "$cur" "*.db"; return 0 ;;
	--var-file) _countersign_files "$cur" "*"; return 0 ;;
	-o | --output | --checkpoint) _countersign_files "$cur" "*"; return 0 ;;
	--engineer | --by)
		if [ "$cmd" = audit ]; then
			_countersign_words $(_countersign_engineers) system
		else
			_countersign_words $(_countersign_engineers)
		fi
		return 0
		;;
	--meaning)
		_countersign_words performed reviewed approved rejected
		return 0
		;;
	--run)
		if [ "$cmd" = audit ]; then
			_countersign_words $(_countersign_runs all) engineers
		else
			_countersign_words $(_countersign_runs all)
		fi
		return 0
		;;
	--format) _countersign_words md json html junit; return 0 ;;
	--kind)
		_countersign_words run_started check_started check_finished attested waived chosen signed \
			override override_requested note run_aborted run_completed notify_failed gate_waiting engineer_added \
			pin_changed pin_failed pin_locked key_enrolled key_rotated role_granted role_removed registry_opened run_registered run_ended
		return 0
		;;
	--var | --title | --reason | --incident | --comment | --note | --value | --full-name | --anchor | --since | --until | \
		--role | --add | --remove)
		return 0
		;;
	esac

	if [ -z "$cmd" ]; then
		case $cur in
		-*) _countersign_words --db --help --version ;;
		*) _countersign_words $_countersign_commands ;;
		esac
		return 0
	fi

	if [[ $cur == -* ]]; then
		_countersign_words $(_countersign_options "$cmd" "$sub") --help
		return 0
	fi

	# Positionals.
	local n=${#pos[@]}
	case $cmd in
	help) ((n == 0)) && _countersign_words $_countersign_commands ;;
	open | start) ((n == 0)) && _countersign_files "$cur" "*.json" ;;
	lint) _countersign_files "$cur" "*.json" ;;
	import) ((n == 0)) && _countersign_files "$cur" "*.md" ;;
	engineer)
		if ((n == 0)); then
			_countersign_words add role pin list
		elif ((n == 1)) && [ "$sub" = pin -o "$sub" = role ]; then
			_countersign_words $(_countersign_engineers)
		fi
		;;
	status | export) ((n == 0)) && _countersign_words $(_countersign_runs all) ;;
	verify | checkpoint) ((n == 0)) && _countersign_words $(_countersign_runs all) ;;
	watch) ((n == 0)) && _countersign_words $(_countersign_runs open) ;;
	db)
		if ((n == 0)); then
			_countersign_words info copy
		elif [ "${pos[0]}" = copy ] && ((n <= 2)); then
			_countersign_files "$cur" "*.db"
		fi
		;;
	check | attest | waive | choose | sign | override | note | abort)
		if ((n == 0)); then
			_countersign_words $(_countersign_runs open)
		elif ((n == 1)); then
			case $cmd in
			choose | sign | override) _countersign_words $(_countersign_targets "${pos[0]}" | grep -v /) ;;
			check | attest | waive) _countersign_words $(_countersign_targets "${pos[0]}" | grep /) ;;
			note) _countersign_words $(_countersign_targets "${pos[0]}") ;;
			esac
		fi
		;;
	esac
	return 0
}

complete -F _countersign countersign
