#!/usr/bin/env bash
# Bash completion (completion/awsphase): phases, aliases, actions, global and
# action options and some option values, all from `awsphase list --output
# json`, so a module added later (here: modules/example) completes too.
# Run without bash-completion's library, and with it where it is installed.
. "${top_srcdir:-$(dirname "$0")/..}/tests/scenarios/lib.sh"

export AWSPHASE_MODULE_PATH=$top_builddir/modules/example/.libs:$AWSPHASE_MODULE_PATH
bindir=$(mktemp -d)
trap 'rm -rf "$bindir"; cleanup' EXIT
ln -s "$AWSPHASE" "$bindir/awsphase"
: >"$bindir/stack.yaml"
export PATH=$bindir:$PATH bindir

bash_completion=
for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
	[ -r "$f" ] && { bash_completion=$f; break; }
done
runs=1
[ -n "$bash_completion" ] && runs=2
plan $((36 * runs))

# comp [WORD...] -- the reply, sorted, for a command line ending in the last
# word (readline's own split: --opt=value is three words).
run_cases() {
	local lib=$1 label=${1:+with bash-completion}
	label=${label:-alone}
	bash --norc --noprofile -c '
		[ -n "$1" ] && . "$1"
		. "$2"
		comp() {
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
			_awsphase 2>&1
			printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
		}
		while IFS= read -r line; do eval "comp $line"; echo; done' _ "$lib" \
		"$top_srcdir/completion/awsphase" <<'LINES' >"$bindir/out"
awsphase ''
awsphase e
awsphase ex ''
awsphase 4b de
awsphase ecs-alb fix
awsphase 4b logs --f
awsphase 4b logs -
awsphase 4b metrics --p
awsphase -o ''
awsphase --output j
awsphase --output = ''
awsphase --output = j
awsphase --region us-east-2 -e aws-resources.env 4b val
awsphase -v 4b logs --since 5m --fo
awsphase 4b logs --since ''
awsphase help ''
awsphase help 4b s
awsphase list --ou
awsphase list -
awsphase --no-color ex wait --t
awsphase ex probe --url = ''
awsphase --trace-file trace.jsonl ''
awsphase nosuchphase ''
awsphase --env-file "$bindir/aw"
awsphase down --
awsphase up --from ''
awsphase -n up --to 4b -
awsphase --no-w
awsphase 4b rollback --no-wait-lock --prev
awsphase vpc ''
awsphase 4b run --re
awsphase 4b deploy --be
awsphase 4b history --l
awsphase export --phase ''
awsphase export -o "$bindir/st"
awsphase --env ''
LINES
	local got
	mapfile -t got <"$bindir/out"
	is "${got[0]}" "1 3 4a 4b data down ecr ecs-alb env ex example export help list plan q queues status up vpc" "$label: phases, aliases, commands, list, help"
	is "${got[1]}" "ecr ecs-alb env ex example export" "$label: a prefix"
	is "${got[2]}" "calls forget probe wait whoami" "$label: a module added later completes its actions"
	is "${got[3]}" "deploy" "$label: an action by prefix"
	is "${got[4]}" "fix-sg" "$label: the alias's actions"
	is "${got[5]}" "--filter --follow" "$label: action options"
	like "${got[6]}" '--since .* -f .* -x$' "$label: short and long, action and global options"
	is "${got[7]}" "--period --profile" "$label: metrics --period next to the global --profile"
	is "${got[8]}" "json text" "$label: -o values"
	is "${got[9]}" "json" "$label: --output j"
	is "${got[10]}" "json text" "$label: --output= values"
	is "${got[11]}" "json" "$label: --output=j"
	is "${got[12]}" "validate" "$label: global options with values are skipped"
	is "${got[13]}" "--follow" "$label: an action option's value is skipped"
	is "${got[14]}" "" "$label: no guess for --since's value"
	is "${got[15]}" "1 3 4a 4b data ecr ecs-alb env ex example q queues vpc" "$label: help PHASE"
	is "${got[16]}" "status" "$label: help PHASE ACTION"
	is "${got[17]}" "--output" "$label: list takes the global options"
	like "${got[18]}" '--output.*-o' "$label: ... short ones too"
	is "${got[19]}" "--ticks --timeout --trace --trace-file" "$label: the example's own option"
	is "${got[20]}" "" "$label: an option whose value is a URL: nothing to offer"
	is "${got[21]}" "1 3 4a 4b data down ecr ecs-alb env ex example export help list plan q queues status up vpc" "$label: after an option's value, the phases"
	is "${got[22]}" "" "$label: an unknown phase completes nothing"
	is "${got[23]}" "$bindir/awsphase" "$label: --env-file completes file names"
	like "${got[24]}" '^--aws .*--delete-data .*--from .*--yes$' "$label: down's options and the global ones"
	is "${got[25]}" "1 3 4a 4b" "$label: up --from completes the phases of up alone"
	like "${got[26]}" '--from .*--to' "$label: after a command's option's value, its options"
	is "${got[27]}" "--no-wait-lock" "$label: --no-wait-lock"
	is "${got[28]}" "--previous" "$label: after --no-wait-lock (no value), the action's options"
	is "${got[29]}" "deploy status teardown validate" "$label: phase 1's actions by its alias"
	is "${got[30]}" "--region --revision" "$label: 4b run's --revision next to the global --region"
	is "${got[31]}" "--before" "$label: deploy --before"
	is "${got[32]}" "--limit" "$label: 4b history's --limit"
	is "${got[33]}" "1 3 4a 4b" "$label: export --phase completes the phases of up"
	is "${got[34]}" "$bindir/stack.yaml" "$label: export -o completes file names, not --output's formats"
	is "${got[35]}" "prod staging" "$label: --env completes the environments of the env files here"
}

# the env files of two environments, in the folder completion runs in
mkdir "$bindir/here" && cd "$bindir/here" && : >aws-resources.staging.env && : >aws-resources.prod.env && : >aws-resources.env || exit 1
[ -n "$bash_completion" ] && run_cases "$bash_completion"
run_cases ""
finish
