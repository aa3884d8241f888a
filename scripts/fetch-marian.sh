#!/usr/bin/env bash
# Fetch an opus-mt French→English Marian model for `vigie --translator marian`.
#
# Needs internet access to huggingface.co: it CANNOT run on the offline build machines (nothing is
# downloaded at build, setup or run time there). Run it on a connected machine and copy the folder.
#
#   scripts/fetch-marian.sh [REPO] [OUT]
#     REPO  Helsinki-NLP/opus-mt-fr-en (default, 75M parameters, CC-BY 4.0)
#           or Helsinki-NLP/opus-mt-tc-big-fr-en (larger, better; CC-BY 4.0)
#     OUT   models/opus-mt-fr-en (default: models/<repo name>)
#
# Result: OUT/{config.json,vocab.json,source.spm,target.spm} and the weights with rust-bert's
# variable names: rust_model.ot when the repository publishes one, else model.safetensors made
# from the repository's PyTorch weights (needs python3 with torch and safetensors:
# `pip install torch safetensors`). Then:
#   vigie annotate --summarize --translator marian --marian-model OUT corpus.jsonl
#   vigie eval mt --translator marian --marian-model OUT --src flores.fra --ref flores.eng
set -euo pipefail
REPO=${1:-Helsinki-NLP/opus-mt-fr-en}
OUT=${2:-models/$(basename "$REPO")}
BASE="https://huggingface.co/$REPO/resolve/main"
mkdir -p "$OUT"
get() { # get FILE [optional]
  if curl -fsSL --retry 3 -o "$OUT/$1.part" "$BASE/$1"; then
    mv "$OUT/$1.part" "$OUT/$1"; echo "fetched $1"; return 0
  fi
  rm -f "$OUT/$1.part"
  if [ "${2:-}" = optional ]; then return 1; fi
  echo "cannot download $BASE/$1" >&2; exit 1
}
for f in config.json vocab.json source.spm target.spm; do get "$f"; done
if get rust_model.ot optional; then
  echo "rust-bert weights: $OUT/rust_model.ot"
else
  if get model.safetensors optional; then SRC="$OUT/model.safetensors"; else get pytorch_model.bin; SRC="$OUT/pytorch_model.bin"; fi
  python3 - "$SRC" "$OUT/model.safetensors" <<'PY'
# rust-bert's Marian variables are the Hugging Face names; tied embeddings must be present
# under model.shared.weight and final_logits_bias must exist.
import sys, torch
from safetensors.torch import save_file, load_file
src, dst = sys.argv[1], sys.argv[2]
sd = load_file(src) if src.endswith(".safetensors") else torch.load(src, map_location="cpu")
if "model.shared.weight" not in sd:
    for k in ("model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", "lm_head.weight"):
        if k in sd:
            sd["model.shared.weight"] = sd[k]; break
if "final_logits_bias" not in sd:
    sd["final_logits_bias"] = torch.zeros(1, sd["model.shared.weight"].shape[0])
save_file({k: v.contiguous().float() for k, v in sd.items()}, dst)
print(f"wrote {dst} ({len(sd)} tensors)")
PY
  [ "$SRC" = "$OUT/pytorch_model.bin" ] && rm -f "$SRC"
fi
echo "Marian model ready in $OUT"
