//! The E5S1 tokenizer as a `tokenizers` pipeline (`tokenizer.json`).
//!
//! The package's tokenizer does, in order: replace each code point through the normalisation map,
//! collapse runs of spaces into one, turn spaces into the metaspace `▁` (prepending one unless the
//! text already starts with a space), run unigram Viterbi over the pieces (unknown characters
//! become `<unk>`, scored at the lowest piece score minus 10), and wrap the result in
//! `<s> … </s>`. The `tokenizers` equivalent:
//!
//! - normaliser: `Precompiled` holding a SentencePiece charsmap that we build from the map
//!   ([`build_charsmap`]: a darts-clone double-array trie over the UTF-8 bytes of each mapped code
//!   point, plus the NUL-terminated replacements), then `Replace(" {2,}", " ")`;
//! - pre-tokenizer: `Metaspace("▁", prepend always, split)` — splitting at `▁` changes nothing,
//!   since no piece has a `▁` other than in first position;
//! - model: `Unigram` with the pieces and scores, `unk_id` from the file;
//! - post-processor: `<s> $A </s>` (pairs: `<s> $A </s> </s> $B </s>`, as XLM-R).
//!
//! Two behaviours of `tokenizers` differ from the package and are undone by
//! [`crate::models::e5::E5Encoder::token_ids`]: its unigram model fuses consecutive unknown
//! characters into one `<unk>` (the package emits one per character), and the `Precompiled`
//! normaliser looks a whole grapheme cluster up first, so a mapped character followed by combining
//! marks in the same cluster loses those marks (rare: e.g. a no-break space carrying an accent).

use std::collections::BTreeMap;

use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Precompiled, Replace, Sequence};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, NormalizerWrapper, Tokenizer};

use super::e5s1::Vocab;

/// Builds a SentencePiece `precompiled_charsmap` (the format `Precompiled` reads): a `u32` byte
/// length of the trie, the trie as little-endian `u32` units, then the replacement strings, each
/// NUL-terminated; a trie value is the byte offset of its replacement. Deterministic: the same
/// map gives the same bytes.
pub fn build_charsmap(map: &[(char, String)]) -> Result<Vec<u8>, String> {
    let mut normalized = Vec::new();
    let mut keys: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for (c, repl) in map {
        if *c == '\0' || repl.contains('\0') {
            return Err("the normalisation map cannot contain NUL".into());
        }
        keys.insert(c.to_string().into_bytes(), normalized.len() as u32);
        normalized.extend_from_slice(repl.as_bytes());
        normalized.push(0);
    }
    let keys: Vec<(Vec<u8>, u32)> = keys.into_iter().collect();
    let units = DoubleArrayBuilder::build(&keys)?;
    let mut out = Vec::with_capacity(4 + units.len() * 4 + normalized.len());
    out.extend(((units.len() * 4) as u32).to_le_bytes());
    for u in &units {
        out.extend(u.to_le_bytes());
    }
    out.extend(normalized);
    Ok(out)
}

/// A darts-clone double array, laid out for the reader in `spm_precompiled`: unit bits 0-7 hold
/// the label (the byte leading to the node), bit 8 "has a value", bits 10-30 the XOR offset from
/// the unit's index to its children's base; a value unit has bit 31 set and the value in bits
/// 0-30, and sits at `base ^ 0`. A child with label `c` sits at `base ^ c`. Bases are unique, so
/// a lookup can never land on another node's child with the same label.
struct DoubleArrayBuilder {
    units: Vec<u32>,
    used: Vec<bool>,
    used_base: Vec<bool>,
    first_free: usize,
}

const MAX_OFFSET: usize = 1 << 21;

impl DoubleArrayBuilder {
    fn build(keys: &[(Vec<u8>, u32)]) -> Result<Vec<u32>, String> {
        let mut b = DoubleArrayBuilder { units: vec![0], used: vec![true], used_base: vec![false], first_free: 0 };
        // (unit index of the node, range of keys below it, depth)
        let mut stack = vec![(0usize, 0usize, keys.len(), 0usize)];
        while let Some((node, lo, hi, depth)) = stack.pop() {
            // children of this node: an optional value (a key ending here) and distinct next bytes
            let mut value = None;
            let mut children: Vec<(u8, usize, usize)> = Vec::new();
            let mut i = lo;
            while i < hi {
                let k = &keys[i].0;
                if k.len() == depth {
                    value = Some(keys[i].1);
                    i += 1;
                    continue;
                }
                let label = k[depth];
                if label == 0 {
                    return Err("charsmap keys cannot contain a NUL byte".into());
                }
                let start = i;
                while i < hi && keys[i].0.len() > depth && keys[i].0[depth] == label {
                    i += 1;
                }
                children.push((label, start, i));
            }
            let mut labels: Vec<u8> = children.iter().map(|c| c.0).collect();
            if value.is_some() {
                labels.insert(0, 0);
            }
            if labels.is_empty() {
                continue;
            }
            let base = b.find_base(&labels);
            let offset = node ^ base;
            if offset >= MAX_OFFSET {
                return Err("charsmap trie too large".into());
            }
            b.used_base[base] = true;
            b.units[node] |= (offset as u32) << 10;
            if let Some(v) = value {
                if v >= 1 << 31 {
                    return Err("charsmap replacement table too large".into());
                }
                b.units[node] |= 1 << 8;
                b.units[base] = (1 << 31) | v;
                b.used[base] = true;
            }
            for &(label, _, _) in &children {
                let pos = base ^ label as usize;
                b.units[pos] = label as u32;
                b.used[pos] = true;
            }
            for &(label, s, e) in children.iter().rev() {
                stack.push((base ^ label as usize, s, e, depth + 1));
            }
        }
        // The reader indexes `base ^ c` for any byte `c`: pad to a whole block of 256.
        let len = b.units.len().div_ceil(256) * 256;
        b.units.resize(len, 0);
        Ok(b.units)
    }

    fn ensure(&mut self, len: usize) {
        if self.units.len() < len {
            self.units.resize(len, 0);
            self.used.resize(len, false);
            self.used_base.resize(len, false);
        }
    }

    /// A free base whose slots `base ^ label` are all free, searched from the first free slot.
    fn find_base(&mut self, labels: &[u8]) -> usize {
        while self.used.get(self.first_free).copied().unwrap_or(false) {
            self.first_free += 1;
        }
        let mut f = self.first_free;
        loop {
            let base = f ^ labels[0] as usize;
            self.ensure((f.max(base) | 0xFF) + 1);
            if base != 0
                && !self.used[f]
                && !self.used_base[base]
                && labels.iter().all(|&l| !self.used[base ^ l as usize])
            {
                return base;
            }
            f += 1;
        }
    }
}

/// Assembles the `tokenizers` pipeline described in the module docs.
pub fn build_tokenizer(vocab: &Vocab, normalization: &[(char, String)]) -> Result<Tokenizer, String> {
    let pieces: Vec<(String, f64)> = vocab.pieces.iter().cloned().zip(vocab.scores.iter().map(|&s| s as f64)).collect();
    let unigram = Unigram::from(pieces, Some(vocab.unk as usize), false).map_err(|e| format!("unigram model: {e}"))?;
    let charsmap = build_charsmap(normalization)?;
    let precompiled = Precompiled::from(&charsmap).map_err(|e| format!("charsmap: {e}"))?;
    let collapse = Replace::new(tokenizers::normalizers::replace::ReplacePattern::Regex(" {2,}".into()), " ")
        .map_err(|e| format!("space collapse: {e}"))?;
    let normalizer =
        Sequence::new(vec![NormalizerWrapper::Precompiled(precompiled), NormalizerWrapper::Replace(collapse)]);
    let piece = |id: u32| vocab.pieces[id as usize].clone();
    let (bos, eos) = (piece(vocab.bos), piece(vocab.eos));
    let post = TemplateProcessing::builder()
        .try_single(format!("{bos} $A {eos}"))
        .and_then(|b| b.try_pair(format!("{bos} $A {eos} {eos} $B {eos}")))
        .map_err(|e| format!("post-processor: {e}"))?
        .special_tokens(vec![(bos.clone(), vocab.bos), (eos.clone(), vocab.eos)])
        .build()
        .map_err(|e| format!("post-processor: {e}"))?;
    let mut tok = Tokenizer::new(unigram);
    tok.with_normalizer(Some(normalizer))
        .with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)))
        .with_post_processor(Some(post));
    let mut specials: Vec<u32> = vec![vocab.bos, vocab.pad, vocab.eos, vocab.unk];
    // `<mask>` (XLM-R's last piece) is special too when the file has it.
    if let Some(mask) = vocab.pieces.iter().rposition(|p| p == "<mask>") {
        specials.push(mask as u32);
    }
    specials.sort_unstable();
    specials.dedup();
    let added: Vec<AddedToken> = specials.iter().map(|&id| AddedToken::from(piece(id), true)).collect();
    tok.add_special_tokens(&added);
    Ok(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> Vec<(char, String)> {
        vec![
            ('\t', " ".into()),
            ('\u{7}', String::new()),
            ('\u{a0}', " ".into()),
            ('ª', "a".into()),
            ('…', "...".into()),
            ('ﬁ', "fi".into()),
            ('①', "1".into()),
            ('Ａ', "A".into()),
            ('𝐀', "A".into()),
            ('\u{2581}', " ".into()),
        ]
    }

    #[test]
    fn charsmap_round_trips_through_precompiled() {
        let m = map();
        let bytes = build_charsmap(&m).unwrap();
        assert_eq!(bytes, build_charsmap(&m).unwrap(), "deterministic");
        let pc = Precompiled::from(&bytes).unwrap();
        for (c, repl) in &m {
            assert_eq!(pc.transform(&c.to_string()), Some(repl.as_str()), "key U+{:04X}", *c as u32);
        }
        for c in ['a', 'é', ' ', '«', '’', '😀', 'Ｂ', '\u{a1}', '𝐁', '\u{8}'] {
            assert_eq!(pc.transform(&c.to_string()), None, "non-key U+{:04X}", c as u32);
        }
        assert_eq!(pc.normalize_string("a\u{a0}b\u{7}…ﬁ\t"), "a b...fi ");
    }

    #[test]
    fn many_keys_sharing_prefixes() {
        let m: Vec<(char, String)> =
            (0x3000u32..0x3400).filter_map(char::from_u32).map(|c| (c, format!("<{}>", c as u32))).collect();
        let pc = Precompiled::from(&build_charsmap(&m).unwrap()).unwrap();
        for (c, r) in &m {
            assert_eq!(pc.transform(&c.to_string()), Some(r.as_str()));
        }
        assert_eq!(pc.transform("\u{3400}"), None);
        assert_eq!(pc.transform("\u{2fff}"), None);
    }

    #[test]
    fn tokenizer_pipeline_on_a_toy_vocab() {
        let pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "▁ab", "...", "fi"];
        let vocab = Vocab {
            pieces: pieces.iter().map(|s| s.to_string()).collect(),
            scores: vec![0.0, 0.0, 0.0, 0.0, -2.0, -1.0, -1.0, -1.5, -1.0, -1.0],
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
        };
        let tok = build_tokenizer(&vocab, &map()).unwrap();
        let enc = tok.encode("ab\u{a0}\u{a0} a\u{7}b…", true).unwrap();
        // "▁ab▁ab..." : "▁ab" (-1.5) beats "▁a"+"b" (-2)
        assert_eq!(enc.get_ids(), &[0, 7, 7, 8, 2]);
        let enc = tok.encode("ﬁ zz", true).unwrap();
        assert_eq!(enc.get_ids(), &[0, 4, 9, 4, 3, 2], "{:?}", enc.get_tokens());
        let json = tok.to_string(false).unwrap();
        let back: Tokenizer = json.parse().unwrap();
        assert_eq!(back.encode("ab a", true).unwrap().get_ids(), &[0, 7, 5, 2]);
    }
}
