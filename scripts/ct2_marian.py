#!/usr/bin/env python3
"""CTranslate2 side of the Marian decoding-speed comparison (scripts/marian_speed_vs_ct2.sh).

Measures how fast CTranslate2 decodes with the SAME weights that vigie's rust-bert Marian uses:
the model folder written by `vigie models make-marian-fixture --safetensors` (config.json,
vocab.json, source.spm, model.safetensors with rust-bert = Hugging Face MarianMTModel names) is
converted to a CTranslate2 model, the French sentences are split into the same pieces as
rust_tokenizers does, and `translate_batch` decodes them with the same beam width, length limit
and batch size. It prints

    ct2: beams B | X input tokens | Y output tokens in S.SSs = R output tokens/s

which lines up with vigie's `marian: beams B | K batches | X input tokens | Y output tokens ...`.
Only `translate_batch` is timed (the Python tokenizer below is not); vigie's figure includes its
own (Rust) tokenizer and detokenizer, which are a small part of its time.

    ct2_marian.py convert   --model FIXTURE_DIR --out CT2_DIR [--force]
    ct2_marian.py translate --model FIXTURE_DIR --ct2 CT2_DIR --src FILE [--limit N]
                            [--beams B] [--max-length L] [--batch-size 16] [--threads 2]
                            [--save OUT] [--compare RUST_OUT [--show-diff]]
    ct2_marian.py check     --model FIXTURE_DIR --ct2 CT2_DIR --src FILE --ref FILE [--limit 8]

`check` compares CTranslate2's teacher-forced per-token log-probabilities (score_batch) with a
numpy re-implementation of rust-bert's Marian forward pass (float64), on source sentences and the
pieces of their reference translations. It is the strong test of the conversion: on this random
model greedy outputs mostly repeat their first piece, so identical greedy texts (`--compare`)
check the encoder and the first decoding step well but later decoder positions only weakly.

Conversion (what CTranslate2's own Hugging Face Marian loader does, with two deliberate changes
that the random fixture needs, marked [fixture]):
  * post-norm Transformer (normalize_before false), no embedding layer norm, swish FFN, 8 heads,
    layer-norm epsilon 1e-5, embeddings scaled by sqrt(d_model) before positions are added;
  * q/k/v projections fused as CTranslate2 expects (self-attention: q|k|v; cross-attention: q, k|v);
  * position tables copied row for row from model.{encoder,decoder}.embed_positions.weight, from
    position 0 (Marian has no BART-style offset). In the fixture these tables are rust-bert's
    randomly initialised "sinusoidal" embeddings, not sinusoids, so they must be copied, not
    regenerated;
  * one shared vocabulary (vocab.json order) for source, target, decoder embeddings and the output
    projection (tied to model.shared.weight); final_logits_bias becomes the projection bias when it
    is not all zeros (as CTranslate2's converter does);
  * special tokens </s> (eos), <unk>, decoder start token <pad>.
  * [fixture] CTranslate2's Marian loader drops <pad> and starts the decoder from a zero vector
    (start_from_zero_embedding), which is right for real opus-mt weights whose <pad> row is zero.
    rust-bert's random <pad> row is NOT zero and rust-bert starts decoding from it, so <pad> is
    kept in the vocabulary, used as the decoder start token, and forbidden as an output with
    suppress_sequences (rust-bert's Marian sets the <pad> score to -inf at every step).

Decoding matches rust-bert's settings: min length 0, length penalty 1, max_decoding_length L-1
(rust-bert's max_length counts the decoder start token). rust-bert forces </s> at the last step,
CTranslate2 does not, so both take at most L-1 decoding steps, but for the text comparison
(--compare) CTranslate2's output is cut to L-2 pieces, the ones rust-bert chose freely.
"""

import argparse
import json
import math
import os
import re
import sys
import time
import unicodedata

import numpy as np

CONVERTER_VERSION = 1

# ----------------------------------------------------------------------------------------------
# Tokenizer: a faithful copy of rust_tokenizers 8.1.1's MarianTokenizer (which vigie uses).
# The python `sentencepiece` package is not used on purpose: with the fixture's "identity"
# normaliser it would apply no NFKC, it collapses repeated whitespace and scores unknown
# characters differently, so its pieces could differ from the Rust side.
# ----------------------------------------------------------------------------------------------

# rust_tokenizers tokenizer/constants.rs
WHITESPACE = {0x20, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
              0x2008, 0x2009, 0x200A, 0x202F, 0x205F, 0x3000, 0x09, 0x0D, 0x0A}
EXTRA_CONTROL = {
    0x007F, 0x00AD, 0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x061C, 0x06DD, 0x070F, 0x08E2,
    0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2060,
    0x2061, 0x2062, 0x2063, 0x2064, 0x2066, 0x2067, 0x2068, 0x2069, 0x206A, 0x206B, 0x206C, 0x206D,
    0x206E, 0x206F, 0xFEFF, 0xFFF9, 0xFFFA, 0xFFFB, 0x110BD, 0x110CD, 0x13430, 0x13431, 0x13432,
    0x13433, 0x13434, 0x13435, 0x13436, 0x13437, 0x13438, 0x1BCA0, 0x1BCA1, 0x1BCA2, 0x1BCA3,
    0x1D173, 0x1D174, 0x1D175, 0x1D176, 0x1D177, 0x1D178, 0x1D179, 0x1D17A, 0xE0001}
SPACE_PIECE = "\u2581"


def is_control(c):
    """rust_tokenizers is_control(strict = true)."""
    if c in "\t\n\r":
        return False
    u = ord(c)
    return (u <= 0x1F or 0x80 <= u <= 0x9F or 0xE0020 <= u <= 0xE007F or 0xE000 <= u <= 0xF8FF
            or 0xF0000 <= u <= 0xFFFFD or 0x100000 <= u <= 0x10FFFD or 0xD800 <= u <= 0xDFFF
            or u in EXTRA_CONTROL)


def read_spm_pieces(path):
    """(piece, float32 score) of a SentencePiece ModelProto, read with a minimal protobuf parser."""
    data = open(path, "rb").read()

    def varint(buf, i):
        shift = value = 0
        while True:
            b = buf[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return value, i

    def fields(buf):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                val, i = varint(buf, i)
            elif wire == 1:
                val, i = buf[i:i + 8], i + 8
            elif wire == 2:
                n, i = varint(buf, i)
                val, i = buf[i:i + n], i + n
            elif wire == 5:
                val, i = buf[i:i + 4], i + 4
            else:
                raise ValueError(f"{path}: unsupported protobuf wire type {wire}")
            yield num, wire, val

    pieces = []
    for num, wire, val in fields(data):
        if num == 1 and wire == 2:  # ModelProto.pieces
            piece, score = "", np.float32(0.0)
            for n, w, v in fields(val):
                if n == 1 and w == 2:
                    piece = bytes(v).decode("utf-8")
                elif n == 2 and w == 5:
                    score = np.frombuffer(bytes(v), dtype="<f4")[0]
            pieces.append((piece, score))
    if not pieces:
        raise ValueError(f"{path}: no SentencePiece pieces found")
    return pieces


class MarianTokenizer:
    """Pieces and ids exactly as rust_tokenizers' MarianTokenizer::tokenize + vocab lookup."""

    def __init__(self, spm_path, vocab):
        # Trie as nested dicts; a later duplicate piece overwrites score and index (as in Rust).
        self.root = {}
        for index, (piece, score) in enumerate(read_spm_pieces(spm_path)):
            node = self.root
            for c in piece:
                node = node.setdefault(c, {})
            node[None] = (np.float32(score), index, len(piece))
        self.vocab = vocab
        self.unk_id = vocab["<unk>"]

    def normalise(self, text):
        out = []
        for c in text:  # clean_text(strict = true)
            if is_control(c) or c == "\x00" or c == "\ufffd":
                continue
            out.append(" " if ord(c) in WHITESPACE else c)
        text = unicodedata.normalize("NFKC", "".join(out))
        text = "".join(SPACE_PIECE if ord(c) in WHITESPACE else c for c in text)
        if not text.startswith(SPACE_PIECE):
            text = SPACE_PIECE + text
        return text

    def pieces(self, text):
        if re.search(r">>.+<<", text):
            raise ValueError("language codes (>>xx<<) are not supported by this copy of the tokenizer")
        text = self.normalise(text)
        n = len(text)
        # decode_forward_token_ref: best[i] = (start, index, score) of the best node ending at i
        neg_inf = np.float32(-np.inf)
        f32_min = np.finfo(np.float32).min
        scores = [neg_inf] * (n + 1)
        scores[0] = np.float32(0.0)
        best = [None] * (n + 1)
        for start in range(n):
            node = self.root
            for j in range(start, n):
                node = node.get(text[j])
                if node is None:
                    break
                if None in node:
                    score, index, length = node[None]
                    local = np.float32(scores[start] + score)
                    end = start + length
                    if local > scores[end]:
                        best[end] = (start, index)
                        scores[end] = local
            if scores[start + 1] <= f32_min:  # unknown character: score resets to 0
                best[start + 1] = (start, 0)
                scores[start + 1] = np.float32(0.0)
        # decode_backward
        nodes = []
        end = n
        while best[end] is not None:
            start, index = best[end]
            nodes.append((text[start:end], index))
            end = start
        nodes.reverse()
        # consecutive unknown nodes (index 0) are grouped into one token
        out = []
        prev_unknown = False
        for piece, index in nodes:
            if prev_unknown and index == 0:
                out[-1] += piece
            else:
                out.append(piece)
            prev_unknown = index == 0
        return out

    def ids(self, text):
        return [self.vocab.get(p, self.unk_id) for p in self.pieces(text)]


def load_vocab(model_dir):
    with open(os.path.join(model_dir, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    tokens = [None] * (max(vocab.values()) + 1)
    for tok, i in vocab.items():
        tokens[i] = tok
    if any(t is None for t in tokens):
        raise ValueError("vocab.json ids are not contiguous")
    for special in ("</s>", "<unk>", "<pad>"):
        if special not in vocab:
            raise ValueError(f"vocab.json has no {special}")
    return vocab, tokens


def detokenise(ids, tokens, specials):
    """rust_tokenizers decode(skip_special_tokens = true, clean_up_tokenization_spaces = true),
    then trimmed, as vigie's MarianTranslator does."""
    s = "".join(tokens[i].replace(SPACE_PIECE, " ") for i in ids if i not in specials)
    for a, b in ((" .", "."), (" !", "!"), (" ?", "?"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                 (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"),
                 (" 're", "'re")):
        s = s.replace(a, b)
    return s.strip()


# ----------------------------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------------------------

def stamp_of(model_dir):
    st = os.stat(os.path.join(model_dir, "model.safetensors"))
    return {"converter_version": CONVERTER_VERSION, "source": os.path.abspath(model_dir),
            "weights_size": st.st_size, "weights_mtime_ns": st.st_mtime_ns}


def convert(model_dir, out_dir, force=False):
    stamp_path = os.path.join(out_dir, "vigie_ct2_stamp.json")
    stamp = stamp_of(model_dir)
    if not force and os.path.isfile(os.path.join(out_dir, "model.bin")) and os.path.isfile(stamp_path):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                print(f"[ct2] {out_dir} is up to date", file=sys.stderr)
                return

    import ctranslate2
    from ctranslate2.specs import common_spec, transformer_spec
    from safetensors.numpy import load_file

    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model_type", "marian") != "marian":
        raise ValueError(f"model_type {cfg.get('model_type')!r} is not marian")
    if cfg.get("normalize_before", False) or cfg.get("normalize_embedding", False):
        raise ValueError("only post-norm Marian without embedding layer norm is handled")
    if not cfg.get("static_position_embeddings", True):
        raise ValueError("learned (BART-style, offset 2) positions are not handled")
    if cfg["encoder_attention_heads"] != cfg["decoder_attention_heads"]:
        raise ValueError("CTranslate2's TransformerSpec needs the same head count on both sides")
    activations = {"swish": common_spec.Activation.SWISH, "silu": common_spec.Activation.SWISH,
                   "relu": common_spec.Activation.RELU, "gelu": common_spec.Activation.GELU}
    vocab, tokens = load_vocab(model_dir)
    if len(tokens) != cfg["vocab_size"]:
        raise ValueError(f"vocab.json has {len(tokens)} entries, config vocab_size {cfg['vocab_size']}")
    pad = cfg["pad_token_id"]
    if tokens[pad] != "<pad>" or cfg["decoder_start_token_id"] != pad or tokens[cfg["eos_token_id"]] != "</s>":
        raise ValueError("expected </s> = eos, <pad> = pad = decoder start (opus-mt layout)")

    weights_file = os.path.join(model_dir, "model.safetensors")
    if not os.path.isfile(weights_file):
        raise ValueError(f"{weights_file} missing (make the fixture with --safetensors)")
    w = load_file(weights_file)
    used = set()

    def get(name):
        used.add(name)
        return np.ascontiguousarray(w[name], dtype=np.float32)

    spec = transformer_spec.TransformerSpec.from_config(
        (cfg["encoder_layers"], cfg["decoder_layers"]),
        cfg["encoder_attention_heads"],
        pre_norm=False,
        activation=activations[cfg["activation_function"]],
        layernorm_embedding=False,
    )
    shared = get("model.shared.weight")
    scale = math.sqrt(cfg["d_model"]) if cfg.get("scale_embedding", False) else 1.0

    def linear(lspec, prefix):
        lspec.weight = get(prefix + ".weight")
        lspec.bias = get(prefix + ".bias")

    def layer_norm(nspec, prefix):
        nspec.gamma = get(prefix + ".weight")
        nspec.beta = get(prefix + ".bias")

    def attention(aspec, prefix, self_attention):
        q, k, v = (get(f"{prefix}.{n}_proj.weight") for n in "qkv")
        qb, kb, vb = (get(f"{prefix}.{n}_proj.bias") for n in "qkv")
        if self_attention:
            aspec.linear[0].weight = np.concatenate([q, k, v])
            aspec.linear[0].bias = np.concatenate([qb, kb, vb])
        else:
            aspec.linear[0].weight, aspec.linear[0].bias = q, qb
            aspec.linear[1].weight = np.concatenate([k, v])
            aspec.linear[1].bias = np.concatenate([kb, vb])
        linear(aspec.linear[-1], prefix + ".out_proj")

    def common(side_spec, side):
        side_spec.scale_embeddings = scale
        side_spec.position_encodings.encodings = get(f"model.{side}.embed_positions.weight")
        emb = side_spec.embeddings[0] if isinstance(side_spec.embeddings, list) else side_spec.embeddings
        emb.weight = shared

    common(spec.encoder, "encoder")
    for i, layer in enumerate(spec.encoder.layer):
        p = f"model.encoder.layers.{i}"
        attention(layer.self_attention, p + ".self_attn", True)
        layer_norm(layer.self_attention.layer_norm, p + ".self_attn_layer_norm")
        linear(layer.ffn.linear_0, p + ".fc1")
        linear(layer.ffn.linear_1, p + ".fc2")
        layer_norm(layer.ffn.layer_norm, p + ".final_layer_norm")

    common(spec.decoder, "decoder")
    spec.decoder.start_from_zero_embedding = False  # [fixture] the <pad> row is the start input
    for i, layer in enumerate(spec.decoder.layer):
        p = f"model.decoder.layers.{i}"
        attention(layer.self_attention, p + ".self_attn", True)
        layer_norm(layer.self_attention.layer_norm, p + ".self_attn_layer_norm")
        attention(layer.attention, p + ".encoder_attn", False)
        layer_norm(layer.attention.layer_norm, p + ".encoder_attn_layer_norm")
        linear(layer.ffn.linear_0, p + ".fc1")
        linear(layer.ffn.linear_1, p + ".fc2")
        layer_norm(layer.ffn.layer_norm, p + ".final_layer_norm")

    spec.decoder.projection.weight = shared  # lm head tied to the shared embeddings
    if "final_logits_bias" in w:
        bias = get("final_logits_bias").reshape(-1)
        if np.any(bias != 0):
            spec.decoder.projection.bias = bias
    ignored = sorted(set(w) - used)
    if ignored:
        raise ValueError(f"weights not mapped: {ignored[:5]}{' ...' if len(ignored) > 5 else ''}")

    spec.config.unk_token = "<unk>"
    spec.config.eos_token = "</s>"
    spec.config.bos_token = "<s>"  # unused (not in the vocabulary, as in opus-mt conversions)
    spec.config.decoder_start_token = "<pad>"
    spec.config.add_source_bos = False
    spec.config.add_source_eos = False  # </s> is appended by translate() below, as rust-bert does
    spec.config.layer_norm_epsilon = 1e-5
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    spec.optimize(quantization=None)
    os.makedirs(out_dir, exist_ok=True)
    spec.save(out_dir)
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    print(f"[ct2] converted {model_dir} -> {out_dir} (ctranslate2 {ctranslate2.__version__})",
          file=sys.stderr)


# ----------------------------------------------------------------------------------------------
# Decoding
# ----------------------------------------------------------------------------------------------

def translate(args):
    import ctranslate2

    vocab, tokens = load_vocab(args.model)
    tok = MarianTokenizer(os.path.join(args.model, "source.spm"), vocab)
    with open(args.src, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if args.limit is not None:
        lines = lines[:args.limit]
    with open(os.path.join(args.model, "config.json")) as f:
        positions = json.load(f)["max_position_embeddings"]
    # vigie trims each sentence and skips empty ones; it splits an input longer than the
    # positions at spaces, which is not copied here (FLORES sentences have at most 261 pieces).
    keep = [i for i, s in enumerate(lines) if s.strip()]
    sources = []
    for i in keep:
        ids = tok.ids(lines[i].strip())
        if len(ids) + 1 > positions:
            raise ValueError(f"line {i + 1}: {len(ids)} pieces, longer than the {positions} positions")
        sources.append([tokens[t] for t in ids] + ["</s>"])
    input_tokens = sum(len(s) for s in sources)

    translator = ctranslate2.Translator(args.ct2, device="cpu", compute_type="float32",
                                        inter_threads=1, intra_threads=args.threads)
    started = time.perf_counter()
    results = translator.translate_batch(
        sources,
        max_batch_size=args.batch_size,
        batch_type="examples",
        beam_size=args.beams,
        length_penalty=1.0,
        max_decoding_length=args.max_length - 1,
        min_decoding_length=0,
        max_input_length=0,
        suppress_sequences=[["<pad>"]],
        return_end_token=True,
    )
    seconds = time.perf_counter() - started
    hyps = [r.hypotheses[0] for r in results]
    output_tokens = sum(len(h) for h in hyps)  # </s> included when generated, as vigie counts it
    print(f"ct2: beams {args.beams} | {input_tokens} input tokens | {output_tokens} output tokens "
          f"in {seconds:.2f}s = {output_tokens / max(seconds, 1e-9):.0f} output tokens/s")

    specials = {vocab["</s>"], vocab["<unk>"], vocab["<pad>"]}
    texts = [""] * len(lines)
    cut = [""] * len(lines)  # cut to the L-2 pieces that rust-bert chooses before forcing </s>
    for i, h in zip(keep, hyps):
        ids = [vocab[t] for t in h]
        if ids and ids[-1] == vocab["</s>"]:
            ids = ids[:-1]
        texts[i] = detokenise(ids, tokens, specials)
        cut[i] = detokenise(ids[:args.max_length - 2], tokens, specials)
    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            f.write("\n".join(texts) + "\n")
    if args.compare:
        with open(args.compare, encoding="utf-8") as f:
            rust = f.read().splitlines()
        if len(rust) < len(lines):
            raise ValueError(f"{args.compare}: {len(rust)} lines for {len(lines)} sentences")
        same = sum(1 for i in keep if cut[i] == rust[i])
        print(f"agreement (beams {args.beams}, max length {args.max_length}): {same}/{len(keep)} "
              f"outputs identical to rust-bert's ({100.0 * same / max(len(keep), 1):.1f}%)")
        if args.show_diff:
            for i in keep:
                if cut[i] != rust[i]:
                    print(f"  line {i + 1}\n    rust-bert: {rust[i]}\n    ct2:       {cut[i]}")


# ----------------------------------------------------------------------------------------------
# Reference check: rust-bert's Marian forward pass re-done in numpy (float64), teacher-forced,
# against CTranslate2's score_batch. The greedy text comparison alone is weak on this random
# model (its decoder mostly repeats its first token), so this checks every decoder position.
# ----------------------------------------------------------------------------------------------

class NumpyMarian:
    """rust-bert 0.23 BART/Marian as vigie's fixture configures it: post-norm layers (eps 1e-5),
    swish, embeddings * sqrt(d_model) + positions (rows 0.., no offset), the decoder started
    from the <pad> embedding, logits = hidden @ shared^T + final_logits_bias."""

    def __init__(self, model_dir):
        from safetensors.numpy import load_file
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        self.w = {k: v.astype(np.float64) for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
        self.heads = self.cfg["encoder_attention_heads"]
        self.scale = math.sqrt(self.cfg["d_model"]) if self.cfg.get("scale_embedding") else 1.0

    def ln(self, x, p):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-5) * self.w[p + ".weight"] + self.w[p + ".bias"]

    def lin(self, x, p):
        return x @ self.w[p + ".weight"].T + self.w[p + ".bias"]

    def attn(self, x, kv, p, causal):
        n, m, h = x.shape[0], kv.shape[0], self.heads
        d = x.shape[1] // h
        q = (self.lin(x, p + ".q_proj") * d ** -0.5).reshape(n, h, d).transpose(1, 0, 2)
        k = self.lin(kv, p + ".k_proj").reshape(m, h, d).transpose(1, 2, 0)
        v = self.lin(kv, p + ".v_proj").reshape(m, h, d).transpose(1, 0, 2)
        s = q @ k
        if causal:
            s = s + np.triu(np.full((n, m), -np.inf), 1)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        return self.lin((s @ v).transpose(1, 0, 2).reshape(n, h * d), p + ".out_proj")

    def ffn(self, x, p):
        y = self.lin(x, p + ".fc1")
        return self.lin(y / (1 + np.exp(-y)), p + ".fc2")

    def log_probs(self, src_ids, tgt_ids):
        """Log-probabilities of tgt_ids (</s> included), decoder started from <pad>."""
        w, c = self.w, self.cfg
        x = w["model.shared.weight"][src_ids] * self.scale + w["model.encoder.embed_positions.weight"][:len(src_ids)]
        for i in range(c["encoder_layers"]):
            p = f"model.encoder.layers.{i}"
            x = self.ln(x + self.attn(x, x, p + ".self_attn", False), p + ".self_attn_layer_norm")
            x = self.ln(x + self.ffn(x, p), p + ".final_layer_norm")
        inp = [c["decoder_start_token_id"]] + list(tgt_ids[:-1])
        y = w["model.shared.weight"][inp] * self.scale + w["model.decoder.embed_positions.weight"][:len(inp)]
        for i in range(c["decoder_layers"]):
            p = f"model.decoder.layers.{i}"
            y = self.ln(y + self.attn(y, y, p + ".self_attn", True), p + ".self_attn_layer_norm")
            y = self.ln(y + self.attn(y, x, p + ".encoder_attn", False), p + ".encoder_attn_layer_norm")
            y = self.ln(y + self.ffn(y, p), p + ".final_layer_norm")
        logits = y @ w["model.shared.weight"].T + w["final_logits_bias"].reshape(-1)
        m = logits.max(-1, keepdims=True)
        lp = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
        return lp[np.arange(len(tgt_ids)), tgt_ids]


def check(args):
    """Teacher-forced per-token log-probabilities: CTranslate2 score_batch vs NumpyMarian, on
    the source sentences and their reference translations (cut to --max-target pieces)."""
    import ctranslate2

    vocab, tokens = load_vocab(args.model)
    tok = MarianTokenizer(os.path.join(args.model, "source.spm"), vocab)
    with open(args.src, encoding="utf-8") as f:
        src = f.read().splitlines()[:args.limit]
    with open(args.ref, encoding="utf-8") as f:
        ref = f.read().splitlines()[:args.limit]
    pairs = [(tok.ids(s.strip()) + [vocab["</s>"]], tok.ids(r.strip())[:args.max_target] + [vocab["</s>"]])
             for s, r in zip(src, ref) if s.strip() and r.strip()]
    translator = ctranslate2.Translator(args.ct2, device="cpu", compute_type="float32",
                                        inter_threads=1, intra_threads=args.threads)
    # score_batch adds the decoder start token and </s> itself
    results = translator.score_batch([[tokens[i] for i in s] for s, _ in pairs],
                                     [[tokens[i] for i in t[:-1]] for _, t in pairs], max_input_length=0)
    ref_model = NumpyMarian(args.model)
    got_all, want_all = [], []
    for (s, t), r in zip(pairs, results):
        got = np.array(r.log_probs, dtype=np.float64)
        want = ref_model.log_probs(s, t)
        if got.shape != want.shape:
            raise ValueError(f"CTranslate2 scored {got.shape[0]} tokens, expected {want.shape[0]}")
        got_all.append(got)
        want_all.append(want)
    got, want = np.concatenate(got_all), np.concatenate(want_all)
    d = np.abs(got - want)
    worst = float(d.max())
    print(f"check: {len(pairs)} sentence pairs, {d.size} target tokens: |log p(ct2) - log p(numpy rust-bert)| "
          f"max {worst:.2e}, mean {d.mean():.2e} (log p themselves: mean {want.mean():.1f})")
    if worst > args.tolerance:
        print(f"check: FAILED (tolerance {args.tolerance})")
        sys.exit(1)
    print(f"check: ok (tolerance {args.tolerance})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert", help="fixture folder -> CTranslate2 model folder")
    c.add_argument("--model", required=True, help="Marian folder (config.json, vocab.json, model.safetensors)")
    c.add_argument("--out", required=True, help="CTranslate2 model folder to write")
    c.add_argument("--force", action="store_true", help="convert even if OUT is up to date")
    t = sub.add_parser("translate", help="decode sentences with the converted model and time it")
    t.add_argument("--model", required=True, help="Marian folder (vocab.json, source.spm)")
    t.add_argument("--ct2", required=True, help="converted CTranslate2 model folder")
    t.add_argument("--src", required=True, help="source sentences, one per line")
    t.add_argument("--limit", type=int, help="only the first N lines")
    t.add_argument("--beams", type=int, default=4)
    t.add_argument("--max-length", type=int, default=64,
                   help="vigie's --max-length (decoder start included): L-1 decoding steps")
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--threads", type=int, default=2, help="intra_threads (inter_threads is 1)")
    t.add_argument("--save", help="write the translations here, one per line")
    t.add_argument("--compare", help="vigie's --save output for the same lines: print the agreement")
    t.add_argument("--show-diff", action="store_true", help="with --compare: print differing lines")
    k = sub.add_parser("check", help="teacher-forced log-probs: CTranslate2 vs a numpy rust-bert forward")
    k.add_argument("--model", required=True, help="Marian folder (config.json, vocab.json, source.spm, model.safetensors)")
    k.add_argument("--ct2", required=True, help="converted CTranslate2 model folder")
    k.add_argument("--src", required=True, help="source sentences, one per line")
    k.add_argument("--ref", required=True, help="target sentences (their pieces are scored)")
    k.add_argument("--limit", type=int, default=8, help="first N pairs (default 8)")
    k.add_argument("--max-target", type=int, default=40, help="target pieces scored per pair")
    k.add_argument("--threads", type=int, default=2)
    k.add_argument("--tolerance", type=float, default=1e-2, help="largest allowed log-prob difference")
    a = ap.parse_args()
    if a.cmd == "convert":
        convert(a.model, a.out, a.force)
    elif a.cmd == "check":
        check(a)
    else:
        if a.max_length < 2:
            ap.error("--max-length must be at least 2")
        translate(a)


if __name__ == "__main__":
    main()
