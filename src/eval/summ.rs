//! Summary metrics: ROUGE-1, ROUGE-2 and ROUGE-L F1, as Google's `rouge-score` package computes
//! them (`rouge1`, `rouge2`, `rougeL`, no stemming), except for the tokeniser, which suits French:
//!
//! - **tokens**: maximal runs of Unicode alphanumeric characters, lowercased, accents kept
//!   (`« L'armée a tiré »` → `l`, `armée`, `a`, `tiré`); `rouge-score` keeps only `[a-z0-9]`,
//!   which would cut French words at every accent;
//! - **ROUGE-N**: clipped n-gram overlap; precision = overlap / candidate n-grams, recall =
//!   overlap / reference n-grams, F1 = 2PR / (P + R) (0 when either side has no n-gram);
//! - **ROUGE-L**: longest common subsequence of the whole token sequences (not split into
//!   sentences, i.e. `rougeL`, not `rougeLsum`); P = LCS / candidate length, R = LCS / reference
//!   length;
//! - corpus figure: the mean of the per-document F1, × 100.
//!
//! ```
//! use vigie::eval::summ::{rouge, score};
//! let r = rouge("L'armée a tiré.", "l'ARMÉE a tiré !");
//! assert_eq!((r.rouge1, r.rouge2, r.rouge_l), (1.0, 1.0, 1.0));
//! let s = score(&["a b".to_string()], &["a c".to_string()]).unwrap();
//! assert!((s.rouge1 - 50.0).abs() < 1e-9 && s.rouge2 == 0.0);
//! ```

use std::collections::HashMap;

/// F1 scores of one candidate against one reference, 0–1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rouge {
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_l: f64,
}

/// Corpus scores: mean per-document F1, 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RougeScores {
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_l: f64,
    pub documents: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SummEvalError {
    #[error("{candidates} candidates but {references} references")]
    Mismatch { candidates: usize, references: usize },
    #[error("no documents to score")]
    Empty,
}

/// Lowercased maximal runs of alphanumeric characters.
pub fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn f1(overlap: usize, candidate: usize, reference: usize) -> f64 {
    if overlap == 0 {
        return 0.0;
    }
    let p = overlap as f64 / candidate as f64;
    let r = overlap as f64 / reference as f64;
    2.0 * p * r / (p + r)
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut m = HashMap::new();
    if tokens.len() >= n {
        for w in tokens.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

fn rouge_n(cand: &[String], refs: &[String], n: usize) -> f64 {
    let (c, r) = (ngrams(cand, n), ngrams(refs, n));
    let overlap = c.iter().map(|(g, &k)| k.min(r.get(g).copied().unwrap_or(0))).sum();
    f1(overlap, cand.len().saturating_sub(n - 1), refs.len().saturating_sub(n - 1))
}

/// Length of the longest common subsequence (two-row dynamic programme).
fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// ROUGE-1/2/L F1 of one candidate summary against one reference.
pub fn rouge(candidate: &str, reference: &str) -> Rouge {
    let (c, r) = (tokenize(candidate), tokenize(reference));
    Rouge { rouge1: rouge_n(&c, &r, 1), rouge2: rouge_n(&c, &r, 2), rouge_l: f1(lcs(&c, &r), c.len(), r.len()) }
}

/// Mean per-document F1 (× 100) of aligned candidates and references.
pub fn score(candidates: &[String], references: &[String]) -> Result<RougeScores, SummEvalError> {
    if candidates.len() != references.len() {
        return Err(SummEvalError::Mismatch { candidates: candidates.len(), references: references.len() });
    }
    if candidates.is_empty() {
        return Err(SummEvalError::Empty);
    }
    let mut sum = [0.0f64; 3];
    for (c, r) in candidates.iter().zip(references) {
        let s = rouge(c, r);
        sum[0] += s.rouge1;
        sum[1] += s.rouge2;
        sum[2] += s.rouge_l;
    }
    let n = candidates.len() as f64;
    Ok(RougeScores {
        rouge1: 100.0 * sum[0] / n,
        rouge2: 100.0 * sum[1] / n,
        rouge_l: 100.0 * sum[2] / n,
        documents: candidates.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn tokens_are_lowercase_alphanumeric_runs_with_accents() {
        assert_eq!(
            tokenize("L'ARMÉE a tiré 3 obus — « Été 2025 » ; Ça-va?"),
            ["l", "armée", "a", "tiré", "3", "obus", "été", "2025", "ça", "va"]
        );
        assert!(tokenize(" … « » ").is_empty());
    }

    #[test]
    fn identical_and_disjoint() {
        let same = rouge("Le convoi a été attaqué près de Kidal.", "le convoi a été ATTAQUÉ près de kidal");
        assert_eq!((same.rouge1, same.rouge2, same.rouge_l), (1.0, 1.0, 1.0));
        let none = rouge("le convoi", "une embuscade meurtrière");
        assert_eq!((none.rouge1, none.rouge2, none.rouge_l), (0.0, 0.0, 0.0));
        let empty = rouge("", "une embuscade");
        assert_eq!((empty.rouge1, empty.rouge2, empty.rouge_l), (0.0, 0.0, 0.0));
        // a one-word text has no bigram
        assert_eq!(rouge("kidal", "kidal").rouge2, 0.0);
    }

    #[test]
    fn hand_computed_case() {
        // candidate: le chat noir dort sur le tapis (7 tokens)
        // reference: le chat dort sur le canapé (6 tokens)
        // ROUGE-1: overlap le×2, chat, dort, sur = 5; P = 5/7, R = 5/6, F1 = 2·5/(7+6) = 10/13
        // ROUGE-2: candidate bigrams le-chat chat-noir noir-dort dort-sur sur-le le-tapis (6),
        //   reference le-chat chat-dort dort-sur sur-le le-canapé (5); overlap le-chat, dort-sur,
        //   sur-le = 3; F1 = 2·3/(6+5) = 6/11
        // ROUGE-L: LCS le chat dort sur le = 5, F1 = 10/13
        let r = rouge("Le chat noir dort sur le tapis.", "Le chat dort sur le canapé.");
        assert!(close(r.rouge1, 10.0 / 13.0), "{r:?}");
        assert!(close(r.rouge2, 6.0 / 11.0), "{r:?}");
        assert!(close(r.rouge_l, 10.0 / 13.0), "{r:?}");
    }

    #[test]
    fn lcs_differs_from_unigram_overlap_on_order() {
        // unigrams all match (F1 = 1), but the LCS of "a b c" and "c b a" is 1: F1 = 1/3;
        // no bigram in common
        let r = rouge("a b c", "c b a");
        assert!(close(r.rouge1, 1.0) && close(r.rouge_l, 1.0 / 3.0) && r.rouge2 == 0.0, "{r:?}");
        // clipping: "le le le" vs "le chat": overlap 1, P = 1/3, R = 1/2, F1 = 0.4
        assert!(close(rouge("le le le", "le chat").rouge1, 0.4));
    }

    #[test]
    fn corpus_mean_and_errors() {
        let c = ["le chat".to_string(), "x".to_string()];
        let r = ["le chat".to_string(), "y".to_string()];
        let s = score(&c, &r).unwrap();
        assert!(close(s.rouge1, 50.0) && close(s.rouge2, 50.0) && close(s.rouge_l, 50.0) && s.documents == 2, "{s:?}");
        assert_eq!(score(&c, &r[..1]), Err(SummEvalError::Mismatch { candidates: 2, references: 1 }));
        assert_eq!(score(&[], &[]), Err(SummEvalError::Empty));
    }
}
