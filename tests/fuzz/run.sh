#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60) from its seed corpus tests/fuzz/corpus-NAME.
# Exit 1 on a crash (its input is kept under FUZZ_OUT, printed), 2 when a
# target does not build.  The corpus in the tree is only read: what the
# fuzzer finds goes to a scratch copy.
#
#   tests/fuzz/run.sh                    # all targets, 60 s each
#   FUZZ_SECONDS=5 tests/fuzz/run.sh json
#
#   envfile   core/envfile*.c: the parser, render, in-memory updates
#   classify  core/aws-classify.c: aws_classify on any exit code and stderr
#   json      core/json.c walkers and phase 4B's readings of AWS answers
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-60}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/awsphase-fuzz.XXXXXX")}
cc=${CLANG:-clang}
mkdir -p "$out"
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wno-ignored-attributes -Werror=implicit-function-declaration -D_GNU_SOURCE -Iinclude -Icore
	-Imodules/phase4b)
read -ra pkg_cflags <<<"$(pkg-config --cflags libpcre2-8 libcjson)"
read -ra pkg_libs <<<"$(pkg-config --libs libpcre2-8 libcjson)"
core=(core/strbuf.c core/log.c core/i18n.c core/redact.c core/pattern.c)

sources() {
	case $1 in
	envfile) echo tests/fuzz/fuzz-envfile.c core/envfile.c core/envfile-parse.c \
		core/envfile-check.c core/envfile-write.c "${core[@]}" ;;
	classify) echo tests/fuzz/fuzz-classify.c core/aws-classify.c core/aws-trace.c "${core[@]}" ;;
	json) echo tests/fuzz/fuzz-json.c core/json.c core/engine-judge.c \
		modules/phase4b/spec-lookup.c modules/phase4b/spec-taskdef.c ;;
	*) return 1 ;;
	esac
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(envfile classify json)
rc=0
for t in "${targets[@]}"; do
	src=$(sources "$t") || { echo "fuzz: $t: no such target (envfile, classify, json)" >&2; exit 2; }
	# shellcheck disable=SC2086 # a list of files
	if ! "$cc" "${cflags[@]}" "${pkg_cflags[@]}" $src "${pkg_libs[@]}" -o "$out/fuzz-$t" \
		2>"$out/build-$t.log"; then
		echo "fuzz: $t: does not build with $cc:" >&2
		cat "$out/build-$t.log" >&2
		exit 2
	fi
	mkdir -p "$out/corpus-$t" "$out/crashes-$t"
	cp -r "tests/fuzz/corpus-$t/." "$out/corpus-$t/"
	seeds=$(ls "tests/fuzz/corpus-$t" | wc -l)
	"$out/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$out/crashes-$t/" \
		"$out/corpus-$t" >"$out/run-$t.log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/run-$t.log")
	if [ $status -ne 0 ] || [ -n "$(ls -A "$out/crashes-$t")" ]; then
		echo "fuzz: $t: CRASH after ${runs:-?} runs; inputs in $out/crashes-$t:" >&2
		ls "$out/crashes-$t" >&2
		grep -E 'ERROR|SUMMARY|runtime error|deadly signal' "$out/run-$t.log" | head -n 20 >&2
		rc=1
	else
		echo "fuzz: $t: ${secs} s, ${runs:-?} runs from $seeds seeds, $(ls "$out/corpus-$t" | wc -l) inputs now, no crash"
	fi
done
[ $rc -eq 0 ] && [ -z "${FUZZ_OUT:-}" ] && rm -rf "$out"
exit $rc
