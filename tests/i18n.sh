#!/usr/bin/env bash
# Messages: English by default, Brazilian Portuguese under LANG=pt_BR.UTF-8
# (also where that locale was never generated), and a pt_BR catalogue that
# translates every message marked in the sources.
. "${top_srcdir:-$(dirname "$0")/..}/tests/scenarios/lib.sh"

[ -f "$top_builddir/po/locale/pt_BR/LC_MESSAGES/awsphase.mo" ] ||
	skip_all "built without NLS (configure --disable-nls, or no msgfmt)"
export AWSPHASE_LOCALEDIR=$top_builddir/po/locale
unset LANGUAGE LC_ALL LC_MESSAGES LC_CTYPE
plan 55

out=$(env -u LANG "$AWSPHASE" --help)
like "$out" '^Usage: awsphase \[OPTION\.\.\.\] PHASE ACTION' "English without LANG"
out=$(LANG=C.UTF-8 "$AWSPHASE" --help)
like "$out" 'Exit codes:' "English under LANG=C.UTF-8"

out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --help)
like "$out" '^Uso: awsphase \[OPÇÃO\.\.\.\] FASE AÇÃO' "LANG=pt_BR.UTF-8: the usage in Portuguese"
like "$out" 'Códigos de saída:' "... the exit codes"
like "$out" 'o arquivo env a ler e atualizar' "... the option descriptions (popt, in awsphase's domain)"
like "$out" '--env-file=PATH' "... options keep their names"

err=$(LANG=pt_BR.UTF-8 "$AWSPHASE" nosuchphase 2>&1)
rc=$?
like "$err" '^awsphase: nosuchphase: fase desconhecida;' "usage errors in Portuguese"
is "$rc" 2 "... with the same exit code"
err=$(LANG=pt_BR.UTF-8 "$AWSPHASE" list --output xml 2>&1)
like "$err" 'formato desconhecido; use text ou json' "list --output xml: the error in Portuguese"

out=$(LANG=C.UTF-8 LANGUAGE=pt_BR "$AWSPHASE" --help)
like "$out" '^Uso:' "LANGUAGE=pt_BR picks the catalogue too"
out=$(LANG=pt_BR.UTF-8 LC_ALL=C "$AWSPHASE" --help)
like "$out" '^Usage:' "LC_ALL=C wins over LANG"

# What a module declares (title, summaries, help, env keys, option
# descriptions) is looked up by the core where it prints it.
out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" list)
like "$out" 'deploy +Faz o deploy do serviço ECS atrás do ALB' "list: action summaries in Portuguese"
out=$(LANG=C "$AWSPHASE" list)
like "$out" 'deploy +Deploy the ECS service behind the ALB' "... in English under LANG=C"
json=$(LANG=pt_BR.UTF-8 "$AWSPHASE" list --output json)
like "$json" '"summary":[[:space:]]*"Deploy the ECS service behind the ALB' "list --output json: summaries stay English"
out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" 4b --help)
like "$out" 'AWS_REGION +a região AWS, p\.ex\. us-east-2' "4b --help: env keys' help in Portuguese"
like "$out" 'teardown +Apaga o serviço, o ALB e o target group' "... and the actions"
out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" 4b deploy --help)
like "$out" '--force-new-deployment +inicia tarefas novas mesmo sem' \
	"4b deploy --help: the module's option descriptions in Portuguese (popt, our domain)"
like "$out" 'Cria o que falta e corrige o que difere' "... and the action's help"
out=$(LANG=C "$AWSPHASE" 4b deploy --help)
like "$out" '--force-new-deployment +start new tasks even when' "... in English under LANG=C"

# The phase module's messages: the host looks them up (module.h); no aws
# CLI is run (--aws /nonexistent), so these need no AWS.
env=$top_srcdir/tests/scenarios/fixtures/aws-resources.env
err=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" 4b logs --since bogus 2>&1)
rc=$?
like "$err" '^awsphase: 4b logs: --since bogus: informe uma duração como 30s' "a module's usage error in Portuguese"
is "$rc" 2 "... with exit 2"
err=$(env -u LANG "$AWSPHASE" --env-file "$env" 4b logs --since bogus 2>&1)
like "$err" '^awsphase: 4b logs: --since bogus: give a duration such as 30s' "... in English without LANG"

bad=$(mktemp)
printf 'AWS_REGION=us-east-2\nVPC_ID=$(date)\n' >"$bad"
err=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$bad" 4b status 2>&1)
rc=$?
rm -f "$bad"
like "$err" ':2: substituição de comando \$\(\.\.\.\); escreva o próprio valor' "an env file error in Portuguese"
is "$rc" 2 "... with exit 2"

err=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" --aws /nonexistent 4b status 2>&1 >/dev/null)
rc=$?
like "$err" "não é possível executar '/nonexistent': arquivo inexistente; instale o aws CLI ou passe --aws PATH" \
	"the aws runner's 'not found' in Portuguese"
is "$rc" 5 "... with exit 5"

out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" --aws /nonexistent 4b preflight 2>/dev/null)
like "$out" '^\[ok\]   arquivo env: .*chaves obrigatórias presentes e válidas' "text: check names and details in Portuguese"
out=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" --aws /nonexistent 4b status 2>/dev/null)
like "$out" 'Rodando +Desejadas' "text: table headers in Portuguese"
json=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" --aws /nonexistent --output json 4b preflight 2>/dev/null)
like "$json" '"name":[[:space:]]*"env file"' "--output json: check names stay English under pt_BR"
like "$json" '"detail":[[:space:]]*"[^"]*chaves obrigatórias' "... details are the user's words"
json=$(LANG=pt_BR.UTF-8 "$AWSPHASE" --env-file "$env" --aws /nonexistent --output json 4b status 2>/dev/null)
like "$json" '"load balancer":[[:space:]]*\[' "--output json: table titles stay English keys"
like "$json" '"Running":[[:space:]]*null' "... and so do headers"

po=$top_srcdir/po/pt_BR.po
msgfmt -c -o /dev/null "$po" 2>"${TMPDIR:-/tmp}/i18n.$$"
ok $? "po/pt_BR.po compiles with format checks (msgfmt -c)"
rm -f "${TMPDIR:-/tmp}/i18n.$$"

# Every message marked in the sources po/xgettext.sh reads (the same list
# and keywords as make update-po) has a pt_BR translation (else: make
# update-po, then translate the new entries).
if command -v xgettext >/dev/null && command -v msgmerge >/dev/null && command -v msgattrib >/dev/null; then
	tmp=$(mktemp -d)
	sh "$top_srcdir/po/xgettext.sh" "$tmp/awsphase.pot" &&
		msgmerge --quiet -o "$tmp/pt_BR.po" "$po" "$tmp/awsphase.pot" &&
		stats=$(LC_ALL=C msgfmt --statistics -o /dev/null "$tmp/pt_BR.po" 2>&1) &&
		todo=$( { msgattrib --untranslated --no-obsolete "$tmp/pt_BR.po"
			msgattrib --only-fuzzy --no-obsolete "$tmp/pt_BR.po"; } | grep -A1 '^msgid' | grep -v '^msgid ""$\|^--$\|^"Project\|^msgstr')
	rm -rf "$tmp"
	unlike "${stats:-no statistics}" 'untranslated|fuzzy|no statistics' \
		"every marked message has a pt_BR translation ($stats) (else: make update-po, translate po/pt_BR.po)"
	[ -z "${todo:-}" ] || diag "$todo"
else
	ok 0 "# SKIP xgettext/msgmerge/msgattrib not installed"
fi

# Text the phase module builds before handing it over (plan and result
# lines, diagnose's causes and fixes, validate's details, teardown's lines,
# status cells) goes through the host's text(); against the local AWS.
localaws_start
LANG=pt_BR.UTF-8 ap --dry-run 4b deploy
like "$AP_OUT" '^• grupo de segurança kaviar-alb-sg \(seria criado\)$' "deploy --dry-run: the plan in Portuguese"
like "$AP_OUT" '^• role IAM KaviarEcsTaskRole \(seria criada\)$' "... agreeing with each kind (msgctxt)"
like "$AP_OUT" '^• log group /ecs/kaviar-backend \(seria criado: retenção de 30 dias\)$' "... with its details"
like "$AP_OUT" '^executaria: [^ ]*aws ecs create-cluster --cluster-name kaviar-cluster ' "... and the calls it would run"
LANG=C ap --dry-run 4b deploy
like "$AP_OUT" '^• security group kaviar-alb-sg \(would create\)$' "... in English under LANG=C"
LANG=pt_BR.UTF-8 ap --dry-run --output json 4b deploy
is "$(jget "$AP_OUT" '[r["kind"] + ": " + r["result"] for r in d["resources"] if r["name"] == "kaviar-alb-sg"][0]')" \
	"security group: would create" "--output json: kind and result stay English under pt_BR"
LANG=pt_BR.UTF-8 ap 4b diagnose
like "$AP_OUT" 'estado-do-serviço: o serviço kaviar-backend-service não existe no cluster kaviar-cluster \(nem o cluster\)' \
	"diagnose: a cause in Portuguese"
like "$AP_OUT" 'correção: awsphase 4b deploy   \(cria kaviar-alb-sg e kaviar-ecs-sg com a regra ALB → 3001\)' \
	"... and its fix"
LANG=C ap 4b diagnose
like "$AP_OUT" 'service-state: service kaviar-backend-service does not exist in cluster kaviar-cluster \(nor does the cluster\)' \
	"... in English under LANG=C"
LANG=pt_BR.UTF-8 ap --output json 4b status
is "$(jget "$AP_OUT" 'd["service"][0]["Status"]')" "no cluster" "--output json: status cells stay English"
LANG=pt_BR.UTF-8 ap 4b status
like "$AP_OUT" 'kaviar-cluster +sem cluster' "status: the module's own cells in Portuguese"

ap 4b deploy --no-wait
is "$AP_RC" 0 "a deploy to look at"
LANG=pt_BR.UTF-8 ap 4b validate
like "$AP_OUT" '\[(ok|FAIL)\] +serviço: Status ACTIVE, rodando [0-9]+, desejadas 1' "validate: a detail built in a buffer, in Portuguese"
LANG=C ap 4b validate
like "$AP_OUT" '\[(ok|FAIL)\] +service: Status ACTIVE, Running [0-9]+, Desired 1' "... in English under LANG=C"
# drift: what differs is listed in the user's language too
. "$WORK/aws-resources.env"
awscli elbv2 modify-target-group --target-group-arn "$TG_ARN" --health-check-path /wrong >/dev/null &&
awscli ecs update-service --cluster kaviar-cluster --service kaviar-backend-service --desired-count 2 >/dev/null
ok $? "drift by hand: health-check path /wrong, desired count 2"
echo DESIRED_COUNT=1 >>"$WORK/aws-resources.env"
LANG=pt_BR.UTF-8 ap --dry-run 4b deploy
like "$AP_OUT" '^• target group kaviar-backend-tg arn:[^ ]+ \(seria atualizado: caminho do health check /wrong → /api/health\)$' \
	"deploy --dry-run: what differs, in Portuguese"
like "$AP_OUT" '^• serviço kaviar-backend-service arn:[^ ]+ \(seria atualizado: contagem desejada 2 → 1 \(reduzindo\)\)$' \
	"... for the service too"
LANG=C ap --dry-run 4b deploy
like "$AP_OUT" '^• target group kaviar-backend-tg arn:[^ ]+ \(would update: health check path /wrong → /api/health\)$' \
	"... in English under LANG=C"
LANG=pt_BR.UTF-8 ap --dry-run --output json 4b deploy
is "$(jget "$AP_OUT" '[r["result"] for r in d["resources"] if r["kind"] == "service"][0]')" \
	"would update: desired count 2 → 1 (scaling in)" "--output json: what differs stays English"
LANG=pt_BR.UTF-8 ap --dry-run 4b teardown --all
like "$AP_OUT" '^• serviço kaviar-backend-service \(iria reduzir a 0 tarefas\)$' "teardown --dry-run: its lines in Portuguese"
like "$AP_OUT" '^• role IAM KaviarEcsTaskExecutionRole \(iria desanexar AmazonECSTaskExecutionRolePolicy\)$' \
	"... verbs built with snprintf too"
finish
