#!/usr/bin/env bash
# `make fuzz-long`: a libFuzzer campaign of each named target (build dir, seconds, names), one
# target at a time (one libFuzzer process: the fuzzing host is shared). Each starts from its seed
# corpus and regression inputs (read only) plus the inputs earlier campaigns added in
# <build>/fuzz/campaign/corpus/<name> (kept between runs); crashes are written to
# <build>/fuzz/campaign/crashes/<name>/. Prints and appends to campaign/summary.txt one line per
# target: seconds run (libFuzzer stops at the first crash), executions, libFuzzer's final cov:
# (edges) and ft: (features), corpus size, crashes found by this run.
set -u
dir=$1
seconds=$2
shift 2
root=$(cd "$(dirname "$0")" && pwd)
camp=$dir/campaign
mkdir -p "$camp"
status=0
for name in "$@"; do
	bin=$dir/libfuzzer/fuzz_$name
	mkdir -p "$camp/corpus/$name" "$camp/crashes/$name"
	log=$camp/$name.log
	seeds=()
	for d in "$root/corpus/$name" "$root/regressions/$name"; do
		[ -d "$d" ] && seeds+=("$d")
	done
	echo "fuzz-long: $name for $seconds s (log $log)"
	stamp=$camp/.start-$name
	touch "$stamp"
	start=$(date +%s)
	# -timeout: an input that runs 10 s is a hang; the outer timeout stops a stuck process.
	timeout $((seconds + 120)) "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-use_value_profile=1 -print_final_stats=1 -artifact_prefix="$camp/crashes/$name/" \
		"$camp/corpus/$name" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	elapsed=$(($(date +%s) - start))
	last=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
	ft=$(echo "$last" | sed -nE 's/.*ft: ([0-9]+).*/\1/p')
	corp=$(echo "$last" | sed -nE 's/.*corp: ([0-9]+\/[0-9a-zA-Z]+).*/\1/p')
	crashes=$(find "$camp/crashes/$name" -type f -newer "$stamp" | wc -l) # this run's only
	line="$(date -u +%FT%TZ) $name: ${elapsed} s, ${execs:-?} executions, cov ${cov:-?},"
	line="$line ft ${ft:-?}, corpus ${corp:-?}, crashes $crashes, exit status $rc"
	echo "$line" | tee -a "$camp/summary.txt"
	[ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] && status=1
done
exit $status
