#!/usr/bin/env bash
# Rebuilds the training data of the conflict-domain NER model (models/ner-fr) and trains it.
# Deterministic: fixed seeds, fixed inputs. About 40 minutes on 2 cores; peak RSS about 3 GB.
#
#   scripts/train_conflict_ner.sh [OUT]        (default OUT: target/ner-conflict; copy to models/ner-fr)
#
# Data (never ../shared/data/ner/wikineural_fr/test.conll):
#   1. WikiNEuRal train/dev relabelled with the lexicons (`vigie train silver`): ORG spans naming
#      an armed body → ARMED_GROUP, MISC overlapping a weapon → WEAPON, lexicon armed groups and
#      weapons on untagged words added; PER → PERSON, LOC → LOCATION. Sentences that mention a
#      held-out lexicon entry (1 in 5, by id hash) are dropped, so recall on those entries measures
#      generalisation (`vigie eval ner --unseen`).
#   2. 6,000 synthetic sentences from frames, lexicon surfaces (held-out entries excluded) and
#      invented group names (`vigie train silver --synthetic 6000`).
#   3. data/conflict_train.jsonl: 111 conflict-news paragraphs written and annotated for the
#      project (4 copies).
# Dev (model selection): relabelled WikiNEuRal dev + tests/data/conflict_dev.jsonl.
# The model starts from the generic model in models/ner-fr (PER/ORG/LOC/MISC); the new labels'
# head rows start from ORG (ARMED_GROUP) and MISC (WEAPON).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/ner-conflict}
INIT=${INIT:-models/ner-fr}
V=target/release/vigie
W=../shared/data/ner/wikineural_fr
[ -x "$V" ] || { echo "build first: scripts/setup.sh" >&2; exit 1; }
[ -f "$W/train.conll" ] || { echo "$W/train.conll is absent" >&2; exit 1; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
$V train silver --input "$W/train.conll" --out "$D/train.conll"
$V train silver --input "$W/dev.conll" --out "$D/dev.conll"
$V train silver --synthetic 6000 --seed 13 --input /dev/null --out "$D/synth.conll"
$V train silver --input data/conflict_train.jsonl --out "$D/conflict_train.conll"
$V train silver --input tests/data/conflict_dev.jsonl --out "$D/conflict_dev.conll"
cat "$D/train.conll" "$D/synth.conll" "$D"/conflict_train.conll "$D"/conflict_train.conll \
    "$D"/conflict_train.conll "$D"/conflict_train.conll > "$D/mix_train.conll"
cat "$D/dev.conll" "$D/conflict_dev.conll" > "$D/mix_dev.conll"
$V train ner --train "$D/mix_train.conll" --dev "$D/mix_dev.conll" --out "$OUT" --init "$INIT" \
    --mode full --epochs 1 --lr 5e-5 --eval-every 450 --patience 3 -j 2
echo "model in $OUT (copy adapter.safetensors and ner_config.json to models/ner-fr)"
