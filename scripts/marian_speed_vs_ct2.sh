#!/usr/bin/env bash
# Marian decoding speed: vigie's rust-bert Marian vs CTranslate2 4.8.5, on the SAME random-weight
# Marian model (d_model 512, 6+6 layers, 8 heads, FFN 2048, ~8000 pieces: opus-mt-fr-en's shape),
# the same FLORES-200 French sentences, the same beam, length limit, batch size 16 and 2 threads.
# It measures output tokens per second of decoding (model loading excluded), greedy and beam 4,
# and checks that the two engines compute the same thing.
#
#   scripts/marian_speed_vs_ct2.sh [--limit N] [--max-length L] [--beams "1 4"] [--fixture DIR]
#                                  [--threads T]
#
#   --limit N       first N sentences of ../shared/data/mt/flores200_devtest.fra (default 100)
#   --max-length L  vigie's --max-length, decoder start included; CTranslate2 gets
#                   max_decoding_length L-1 (default 64)
#   --fixture DIR   Marian folder to use (default .deps/marian-fixture-d512, built when missing
#                   by `vigie models make-marian-fixture --safetensors` from
#                   ../shared/data/mt/newstest2014_first1000.{fr,en})
#   --beams "B..."  beam widths to compare (default "1 4"; agreement is reported for each)
#   --threads T     libtorch threads (vigie -j) and CTranslate2 intra_threads (default 2)
#
# Prints, for each beam width, vigie's `marian: ...` line, the `ct2: ...` line and
# `ct2/rust-bert = x.xx` (ratio of output tokens/s), then the greedy agreement: the share of
# sentences whose greedy output text is identical in both engines. Before timing it also runs
# `ct2_marian.py check`: teacher-forced per-token log-probabilities of CTranslate2 against a numpy
# re-implementation of rust-bert's forward pass (fails the script when they differ).
# First use creates .deps/ct2-venv (git-ignored) with ctranslate2==4.8.5, numpy, safetensors
# from PyPI; later runs reuse it, the fixture and its conversion (.deps/marian-fixture-d512/ct2).
# Timings mean something only on an otherwise idle machine: each timed run is checked for other
# processes using the CPUs meanwhile and flagged with a WARNING line when they took over 10%.
set -euo pipefail
CALLER_PWD=$(pwd)
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() { sed -n '2,28s/^# \{0,1\}//p' "$0" >&2; exit "${1:-2}"; }
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$CALLER_PWD" "$1" ;; esac; }

LIMIT=100
MAXLEN=64
THREADS=2
BATCH=16
BEAMS="1 4"
FIXTURE="$ROOT/.deps/marian-fixture-d512"
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) LIMIT=${2:?--limit needs a number}; shift 2 ;;
    --max-length) MAXLEN=${2:?--max-length needs a number}; shift 2 ;;
    --beams) BEAMS=${2:?--beams needs a list like "1 4"}; shift 2 ;;
    --threads|-j) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --fixture) FIXTURE=$(abspath "${2:?--fixture needs a folder}"); shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown argument $1" >&2; usage ;;
  esac
done
for n in "$LIMIT" "$MAXLEN" "$THREADS" $BEAMS; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: $n" >&2; exit 2; }
done
[ "$MAXLEN" -ge 3 ] || { echo "--max-length must be at least 3" >&2; exit 2; }

VIGIE="$ROOT/target/release/vigie"
[ -x "$VIGIE" ] || { echo "no $VIGIE: build it first (scripts/setup.sh or cargo build --release)" >&2; exit 1; }
DATA="$ROOT/../shared/data/mt"
SRC="$DATA/flores200_devtest.fra"
REF="$DATA/flores200_devtest.eng"
for f in "$SRC" "$REF" "$DATA/newstest2014_first1000.fr" "$DATA/newstest2014_first1000.en"; do
  [ -f "$f" ] || { echo "missing data file $f" >&2; exit 1; }
done

# ------------------------------------------------------------------ CTranslate2 venv (idempotent)
VENV="$ROOT/.deps/ct2-venv"
PY="$VENV/bin/python"
ct2_ok() {
  [ -x "$PY" ] && "$PY" - <<'EOF' 2>/dev/null
from importlib.metadata import version
import ctranslate2, numpy, safetensors
assert version("ctranslate2") == "4.8.5", version("ctranslate2")
EOF
}
if ! ct2_ok; then
  echo "[ct2] installing ctranslate2==4.8.5 numpy safetensors (PyPI) into .deps/ct2-venv" >&2
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --disable-pip-version-check "ctranslate2==4.8.5" numpy safetensors
  ct2_ok || { echo "[ct2] the venv still cannot import ctranslate2 4.8.5, numpy and safetensors" >&2; exit 1; }
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ------------------------------------------------------------------ fixture and its conversion
if [ ! -f "$FIXTURE/model.safetensors" ] || [ ! -f "$FIXTURE/config.json" ]; then
  echo "[fixture] building $FIXTURE (random weights, d_model 512, 6 layers)" >&2
  cat "$DATA/newstest2014_first1000.fr" "$DATA/newstest2014_first1000.en" > "$WORK/fixture_text.txt"
  "$VIGIE" models make-marian-fixture --out "$FIXTURE" --text "$WORK/fixture_text.txt" \
    --d-model 512 --layers 6 --heads 8 --ffn-dim 2048 --max-positions 512 --max-pieces 8000 \
    --safetensors >&2
fi
CT2_MODEL="$FIXTURE/ct2"
"$PY" "$ROOT/scripts/ct2_marian.py" convert --model "$FIXTURE" --out "$CT2_MODEL"

echo "== conversion check (teacher-forced log-probs, CTranslate2 vs numpy rust-bert) =="
"$PY" "$ROOT/scripts/ct2_marian.py" check --model "$FIXTURE" --ct2 "$CT2_MODEL" \
  --src "$SRC" --ref "$REF" --limit 8 --threads "$THREADS"

# ------------------------------------------------------------------ decoding runs
echo "== $LIMIT sentences of $(basename "$SRC"), max length $MAXLEN, batch $BATCH, $THREADS threads =="
# Timings are only comparable on an otherwise idle machine: with 2 compute threads on 2 cores,
# any other busy process slows either engine several-fold. Each run is therefore wrapped in
# `alone`, which compares the CPU time used system-wide during the run (/proc/stat) with the run's
# own CPU time and flags the run when other processes took more than 10% of the CPUs.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
CPUS=$(getconf _NPROCESSORS_ONLN)
HZ=$(getconf CLK_TCK)
DISTURBED=0
alone() {  # alone NAME CMD...: runs CMD (stdout to $WORK/NAME.log), reports competing CPU use
  local name=$1 b0 b1 t0 t1 own others
  shift
  b0=$(busy_jiffies)
  t0=$(date +%s.%N)
  { TIMEFORMAT='%U %S'; time "$@" > "$WORK/$name.log" 2> "$WORK/$name.err"; } 2> "$WORK/$name.time" \
    || { cat "$WORK/$name.log" "$WORK/$name.err" >&2; echo "$name failed" >&2; exit 1; }
  t1=$(date +%s.%N)
  b1=$(busy_jiffies)
  own=$(awk '{ print $1 + $2 }' "$WORK/$name.time")
  others=$(awk -v b0="$b0" -v b1="$b1" -v hz="$HZ" -v own="$own" -v t0="$t0" -v t1="$t1" -v n="$CPUS" \
    'BEGIN { o = (b1 - b0) / hz - own; if (o < 0) o = 0; printf "%.0f", 100 * o / ((t1 - t0) * n) }')
  if [ "$others" -gt 10 ]; then
    echo "  WARNING: other processes used ${others}% of the CPUs during the $name run: its timing is unreliable"
    DISTURBED=1
  fi
}
run_pair() {  # $1 = beams
  local b=$1 rb ct
  alone "rust_b$b" "$VIGIE" eval mt --translator marian --marian-model "$FIXTURE" --beams "$b" \
    --max-length "$MAXLEN" --batch-size "$BATCH" -j "$THREADS" --no-protect --src "$SRC" --ref "$REF" \
    --limit "$LIMIT" --save "$WORK/rust_b$b.txt"
  grep '^marian:' "$WORK/rust_b$b.log" || { cat "$WORK/rust_b$b.log" >&2; echo "no marian: line from vigie" >&2; exit 1; }
  alone "ct2_b$b" "$PY" "$ROOT/scripts/ct2_marian.py" translate --model "$FIXTURE" --ct2 "$CT2_MODEL" \
    --src "$SRC" --limit "$LIMIT" --beams "$b" --max-length "$MAXLEN" --batch-size "$BATCH" \
    --threads "$THREADS" --compare "$WORK/rust_b$b.txt"
  grep '^ct2:' "$WORK/ct2_b$b.log"
  rb=$(sed -n 's/^marian:.*= *\([0-9][0-9.]*\) output tokens\/s.*/\1/p' "$WORK/rust_b$b.log")
  ct=$(sed -n 's/^ct2:.*= *\([0-9][0-9.]*\) output tokens\/s.*/\1/p' "$WORK/ct2_b$b.log")
  awk -v c="$ct" -v r="$rb" -v b="$b" 'BEGIN { printf "beams %s: ct2/rust-bert = %.2f\n", b, c / r }'
}
for b in $BEAMS; do run_pair "$b"; done

# ------------------------------------------------------------------ summary
echo "== agreement (identical output text; CTranslate2 cut to the L-2 pieces rust-bert picks before its forced </s>) =="
for b in $BEAMS; do
  if [ "$b" = 1 ]; then
    sed -n 's/^agreement/greedy agreement/p' "$WORK/ct2_b$b.log"
  else
    sed -n 's/^agreement\(.*\)$/beam-'"$b"' agreement\1 [informative only: the beam searches differ in length normalisation and end handling]/p' "$WORK/ct2_b$b.log"
  fi
done
first=${BEAMS%% *}
in_rb=$(sed -n 's/^marian:.*| \([0-9]*\) input tokens.*/\1/p' "$WORK/rust_b$first.log")
in_ct=$(sed -n 's/^ct2:.*| \([0-9]*\) input tokens.*/\1/p' "$WORK/ct2_b$first.log")
if [ "$in_rb" = "$in_ct" ]; then
  echo "input tokens: identical ($in_rb pieces incl. </s>)"
else
  echo "input tokens: DIFFER (rust-bert $in_rb, ct2 $in_ct): the Python tokenizer copy disagrees"
fi
if [ "$DISTURBED" = 1 ]; then
  echo "WARNING: some runs shared the CPUs with other processes (see above): rerun on an idle machine"
fi
