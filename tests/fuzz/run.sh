#!/usr/bin/env bash
# `make fuzz`: runs each standalone fuzz target (build dir, then target names) on its seed corpus,
# its regression inputs and its bounded PRNG inputs, each under a time limit, and prints one
# closing line "fuzz: N passed, N failed" where N counts targets: a target passes when every input
# passed and it exited normally (a sanitizer report aborts it and counts as its failure).
# Failing PRNG inputs are saved in <build dir>/failures/ to be kept as regression files.
set -u
dir=$1
shift
# Each target runs in a few seconds on an idle host; 60 s leaves room for a loaded one.
limit=${FUZZ_TIMEOUT:-60}
root=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/failures"
passed=0
failed=0
for name in "$@"; do
	out=$(mktemp)
	start=$(date +%s%N)
	timeout "$limit" "$dir/fuzz_$name" -o "$dir/failures" "$root/corpus/$name" \
		"$root/regressions/$name" >"$out"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	line=$(grep -E "^fuzz_$name: [0-9]+ passed, [0-9]+ failed$" "$out" | tail -n 1)
	rm -f "$out"
	if [ "$rc" -eq 0 ] && [ -n "$line" ] && [ "${line##*passed, }" = "0 failed" ]; then
		passed=$((passed + 1))
		printf '%s (%d.%d s)\n' "$line" $((ms / 1000)) $((ms % 1000 / 100))
	else
		failed=$((failed + 1))
		[ "$rc" -eq 124 ] && line="timed out after $limit s"
		printf 'fuzz_%s FAILED: %s (exit status %d)\n' "$name" "${line:-no result line}" "$rc"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
