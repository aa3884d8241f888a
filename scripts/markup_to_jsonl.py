#!/usr/bin/env python3
"""Convert a hand-annotated markup file into vigie gold JSONL (for `vigie eval ner --gold`).

Usage:
    python3 scripts/markup_to_jsonl.py tests/data/conflict_dev.txt > tests/data/conflict_dev.jsonl

Source format (UTF-8):
  * Paragraphs are separated by one or more blank lines.
  * The first line of a paragraph is a header `## <id> <topic words>`; ids must be unique.
  * Lines starting with `#` but not `##` are comments and are ignored (anywhere).
  * The text of a paragraph is its remaining lines, each stripped, joined with a single space.
  * Entities are marked inline as `[surface text]{LABEL}`, e.g.
        Le [Front de libération de l'Azawad]{ARMED_GROUP} ([FLA]{ARMED_GROUP}) a attaqué un
        convoi près d'[Aguelhoc]{LOCATION}.
    LABEL is one of ARMED_GROUP, LOCATION, WEAPON, PERSON, ORG, MISC.
    A literal bracket or brace in the text is written with a backslash: \\[ \\] \\{ \\} \\\\.

Output: one JSON object per paragraph, in file order,
    {"id": ..., "topic": ..., "text": ..., "entities": [{"start", "end", "label", "text"}, ...]}
with offsets in Unicode code points (Python string indices, end exclusive), written with
ensure_ascii=False. Every entity satisfies text[start:end] == entity["text"] (asserted).
A summary (paragraph count, entity count per label) is printed to stderr.

The converter refuses malformed input and exits with status 1, printing every problem found as
`FILE:LINE: [id] message` to stderr and nothing to stdout. Problems detected: unbalanced
brackets (`]` without `[`, `[` never closed), `]` not followed by `{LABEL}`, unknown label, nested
spans, empty spans, spans with leading or trailing whitespace, span boundaries inside a word
(e.g. `[drone]{WEAPON}s`), stray braces, tabs or repeated spaces in the text, text before the first
header, a header without text, a header not preceded by a blank line, duplicate ids.
Exit status 2 means the input file could not be read.
"""

import argparse
import bisect
import collections
import json
import re
import sys

LABELS = ("ARMED_GROUP", "LOCATION", "WEAPON", "PERSON", "ORG", "MISC")
HEADER_RE = re.compile(r"^##\s+(\S+)(?:\s+(.*?))?\s*$")
LABEL_RE = re.compile(r"\{([^{}\[\]\s]*)\}")
ESCAPABLE = "[]{}\\"


class MarkupError(Exception):
    """A problem at a given position (index into the marked-up paragraph string)."""

    def __init__(self, pos, message):
        super().__init__(message)
        self.pos = pos
        self.message = message


def is_word_char(c):
    return c.isalnum()


def strip_markup(src):
    """Return (plain_text, entities) for one paragraph's marked-up text, or raise MarkupError."""
    out = []  # plain text, one code point per element
    entities = []
    open_at = None  # (index into out, index into src) of the pending '['
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c == "\\" and i + 1 < n and src[i + 1] in ESCAPABLE:
            out.append(src[i + 1])
            i += 2
            continue
        if c == "[":
            if open_at is not None:
                raise MarkupError(i, "nested span: '[' inside the span opened at column %d" % (open_at[1] + 1))
            open_at = (len(out), i)
            i += 1
            continue
        if c == "]":
            if open_at is None:
                raise MarkupError(i, "unbalanced bracket: ']' without a matching '['")
            m = LABEL_RE.match(src, i + 1)
            if m is None:
                raise MarkupError(i, "']' must be followed by {LABEL}")
            label = m.group(1)
            if label not in LABELS:
                raise MarkupError(i + 1, "unknown label %r (expected one of %s)" % (label, ", ".join(LABELS)))
            start, end = open_at[0], len(out)
            surface = "".join(out[start:end])
            if not surface:
                raise MarkupError(open_at[1], "empty span")
            if surface != surface.strip():
                raise MarkupError(open_at[1], "span %r has leading or trailing whitespace" % surface)
            entities.append({"start": start, "end": end, "label": label, "text": surface, "_src": open_at[1]})
            open_at = None
            i = m.end()
            continue
        if c in "{}":
            if open_at is not None:
                raise MarkupError(i, "unbalanced bracket: %r inside the span opened at column %d (missing ']'?)" % (c, open_at[1] + 1))
            raise MarkupError(i, "stray %r outside an entity label (escape it as \\%s)" % (c, c))
        out.append(c)
        i += 1
    if open_at is not None:
        raise MarkupError(open_at[1], "unbalanced bracket: '[' never closed")
    text = "".join(out)
    for e in entities:
        s, t = e["start"], e["end"]
        if (s > 0 and is_word_char(text[s - 1]) and is_word_char(text[s])) or (
            t < len(text) and is_word_char(text[t - 1]) and is_word_char(text[t])
        ):
            raise MarkupError(e["_src"], "span %r starts or ends inside a word" % e["text"])
    for k in ("\t", "  "):
        if k in text:
            raise MarkupError(src.find(k) if k in src else 0, "text contains %s" % ("a tab" if k == "\t" else "repeated spaces"))
    for e in entities:
        del e["_src"]
        assert text[e["start"]:e["end"]] == e["text"], e
    return text, entities


def read_paragraphs(lines, errors):
    """Group source lines into paragraphs: dicts with id, topic, lineno, parts [(lineno, text)]."""
    paragraphs = []
    current = None
    previous_blank = True
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n").strip()
        if not line:
            current = None
            previous_blank = True
            continue
        if line.startswith("#") and not line.startswith("##"):
            continue  # comment
        if line.startswith("##"):
            m = HEADER_RE.match(line)
            if m is None:
                errors.append((lineno, None, "malformed header (expected '## <id> <topic words>')"))
                current = None
            elif not previous_blank:
                errors.append((lineno, m.group(1), "header must follow a blank line"))
                current = None
            else:
                current = {"id": m.group(1), "topic": m.group(2) or "", "lineno": lineno, "parts": []}
                paragraphs.append(current)
            previous_blank = False
            continue
        previous_blank = False
        if current is None:
            errors.append((lineno, None, "text outside a paragraph (no '## <id>' header before it)"))
            continue
        current["parts"].append((lineno, line))
    return paragraphs


def convert(lines, errors):
    """Return the list of output records; append (lineno, id, message) to errors."""
    records = []
    seen = {}
    for p in read_paragraphs(lines, errors):
        pid = p["id"]
        if pid in seen:
            errors.append((p["lineno"], pid, "duplicate id (first at line %d)" % seen[pid]))
            continue
        seen[pid] = p["lineno"]
        if not p["parts"]:
            errors.append((p["lineno"], pid, "paragraph has no text"))
            continue
        src = " ".join(t for _, t in p["parts"])
        # Map a position in src back to its source line.
        starts, pos = [], 0
        for _, t in p["parts"]:
            starts.append(pos)
            pos += len(t) + 1
        try:
            text, entities = strip_markup(src)
        except MarkupError as e:
            k = max(0, bisect.bisect_right(starts, e.pos) - 1)
            lineno = p["parts"][k][0]
            col = e.pos - starts[k] + 1
            context = src[max(0, e.pos - 30): e.pos + 30]
            errors.append((lineno, pid, "column %d: %s (near %r)" % (col, e.message, context)))
            continue
        records.append({"id": pid, "topic": p["topic"], "text": text, "entities": entities})
    return records


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="marked-up source file ('-' for stdin)")
    args = ap.parse_args(argv)
    try:
        if args.source == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.source, encoding="utf-8-sig") as f:
                lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        print("markup_to_jsonl: cannot read %s: %s" % (args.source, e), file=sys.stderr)
        return 2
    errors = []
    records = convert(lines, errors)
    if errors:
        for lineno, pid, msg in sorted(errors, key=lambda e: e[0]):
            print("%s:%d: %s%s" % (args.source, lineno, "[%s] " % pid if pid else "", msg), file=sys.stderr)
        print("markup_to_jsonl: %d problem(s); no output written" % len(errors), file=sys.stderr)
        return 1
    out = sys.stdout
    for r in records:
        for e in r["entities"]:
            assert r["text"][e["start"]:e["end"]] == e["text"]
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = collections.Counter(e["label"] for r in records for e in r["entities"])
    print("%d paragraphs, %d entities" % (len(records), sum(counts.values())), file=sys.stderr)
    for label in LABELS:
        print("  %-12s %d" % (label, counts.get(label, 0)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
