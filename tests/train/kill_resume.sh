#!/usr/bin/env bash
# Crash safety of `soma train`: a run killed with SIGKILL at random moments (also while it
# writes a checkpoint), resumed again and again, ends with exactly the metrics of a run that was
# never interrupted; the checkpoint is loadable after every kill; SIGTERM and SIGINT stop after
# the batch with exit codes 143 and 130; no temporary file is left behind.
#   kill_resume.sh SOMA WORK_DIR [SEED]
# Prints "SKIP:" (ctest's skip pattern) when Fashion-MNIST is not installed.
set -uo pipefail
soma=$1 work=$2 seed=${3:-$RANDOM}
if [[ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]]; then
    echo "SKIP: Fashion-MNIST not installed (dataset-fashion-mnist)"
    exit 0
fi
rm -rf "$work" && mkdir -p "$work"
RANDOM=$seed
echo "kill_resume: random seed $seed"
fail() { echo "kill_resume: FAILED: $*" >&2; exit 1; }

run=(train fmnist --model mlp --subset 4000 --val-size 500 --test-size 500 --epochs 6
     --batch-size 32 --threads 1)
# The numbers of the records: everything but the timings.
curve() { sed -e 's/,"seconds":.*//' "$1/metrics.jsonl"; }

"$soma" "${run[@]}" --out "$work/straight" >"$work/straight.log" 2>&1 ||
    fail "the uninterrupted run failed: $(cat "$work/straight.log")"

out=$work/killed ckpt=$work/killed/checkpoint.safetensors
kills=0 signals=0 finished=0
for attempt in $(seq 1 24); do
    args=("${run[@]}" --out "$out")
    [[ -f $ckpt ]] && args+=(--resume "$ckpt")
    "$soma" "${args[@]}" >"$work/attempt.log" 2>&1 &
    pid=$!
    # 0.3 to 2.2 s: past loading the data, somewhere in training or in a checkpoint write.
    sleep "$((RANDOM % 20 / 10)).$((RANDOM % 10))3"
    signal=KILL
    ((attempt % 5 == 0)) && signal=TERM
    ((attempt % 5 == 3)) && signal=INT
    if kill -s "$signal" "$pid" 2>/dev/null; then
        wait "$pid"
        rc=$?
        if [[ $signal == KILL ]]; then
            ((kills++))
        elif ((rc != 0)); then
            # A stop asked for by a signal saves and exits 143 (TERM) or 130 (INT), unless the
            # run had just finished.
            want=$([[ $signal == TERM ]] && echo 143 || echo 130)
            ((rc == want)) || fail "SIG$signal: exit code $rc, expected $want: $(cat "$work/attempt.log")"
            ((signals++))
        fi
    else
        wait "$pid" || fail "attempt $attempt failed: $(cat "$work/attempt.log")"
    fi
    if [[ -f $ckpt ]]; then
        "$soma" inspect "$ckpt" >/dev/null 2>&1 || fail "the checkpoint is not loadable after attempt $attempt"
    fi
    if grep -q '"epoch":6,' "$out/metrics.jsonl" 2>/dev/null && [[ -f $out/confusion.svg ]]; then
        finished=1
        break
    fi
done
if ((!finished)); then
    "$soma" "${run[@]}" --out "$out" --resume "$ckpt" >"$work/attempt.log" 2>&1 ||
        fail "the last resume failed: $(cat "$work/attempt.log")"
fi
diff <(curve "$work/straight") <(curve "$out") >/dev/null ||
    fail "the resumed curve differs from the uninterrupted one:
$(diff <(curve "$work/straight") <(curve "$out"))"
leftovers=$(find "$work" -name '*.tmp-*')
[[ -z $leftovers ]] || fail "temporary files left behind: $leftovers"
echo "kill_resume: passed after $kills SIGKILLs and $signals SIGTERM/SIGINT stops (seed $seed)"
