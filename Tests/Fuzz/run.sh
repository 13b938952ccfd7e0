#!/bin/bash
# Builds the libFuzzer targets (Tests/Fuzz/*/) with -sanitize=fuzzer into .build-fuzz and
# runs each for FUZZ_SECONDS seconds (default 60), starting from a copy of its committed
# seed corpus. Prints one line of figures per target; exits non-zero if any target
# crashed, leaked or ran out of memory (its reproducer is left in .build-fuzz/crashes/).
#
#   Tests/Fuzz/run.sh                 # every target, 60 s each
#   FUZZ_SECONDS=5 Tests/Fuzz/run.sh  # the brief run of `make test`
#   Tests/Fuzz/run.sh FuzzConfig      # one target
set -uo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
SWIFT=${SWIFT:-swift}
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(FuzzConfig FuzzTemplates FuzzPeerDatagram FuzzControlRequest)
fi
SCRATCH=.build-fuzz
mkdir -p "$SCRATCH"
for target in "${TARGETS[@]}"; do
    VACATAIRE_FUZZ=1 "$SWIFT" build -c release --scratch-path "$SCRATCH" --sanitize=fuzzer --product "$target" \
        >"$SCRATCH/$target-build.log" 2>&1 || { cat "$SCRATCH/$target-build.log"; echo "cannot build $target"; exit 1; }
done
BIN=$(VACATAIRE_FUZZ=1 "$SWIFT" build -c release --scratch-path "$SCRATCH" --sanitize=fuzzer --show-bin-path)
export VACATAIRE_TEMPLATES="$PWD/Templates"
status=0
for target in "${TARGETS[@]}"; do
    work="$SCRATCH/corpus/$target"
    artifacts="$SCRATCH/crashes/$target/"
    mkdir -p "$work" "$artifacts"
    cp -n Tests/Fuzz/"$target"/corpus/* "$work"/ 2>/dev/null || true
    log="$SCRATCH/$target.log"
    # A datagram is at most 1,500 bytes; configurations and templates may be longer.
    maxlen=65536
    [ "$target" = FuzzPeerDatagram ] && maxlen=2048
    "$BIN/$target" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$work" >"$log" 2>&1
    code=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(ls "$work" | wc -l)
    if [ $code -eq 0 ]; then
        echo "$target: ${runs:-?} executions in ${SECONDS_EACH} s (${speed:-?}/s), corpus $corpus inputs, no crash"
    else
        echo "$target: FAILED (exit $code) after ${runs:-?} executions; see $log and $artifacts"
        grep -E "ERROR|SUMMARY|Fatal|==[0-9]+==" "$log" | head -20
        status=1
    fi
done
exit $status
