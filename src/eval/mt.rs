//! Machine-translation metrics with sacreBLEU's definitions (version 2.x defaults), so figures are
//! comparable with published ones:
//!
//! - **BLEU**: corpus level, `13a` tokenisation (mteval-v13a), n-grams 1–4, one reference,
//!   brevity penalty, `exp` smoothing (sacreBLEU's default for corpus BLEU).
//! - **chrF**: character n-grams 1–6, whitespace removed, β = 2, statistics summed over the corpus,
//!   precision and recall averaged over the orders that occur (sacreBLEU's `CHRF()` defaults,
//!   i.e. chrF2, not chrF++).
//!
//! ```
//! let hyps = ["Hello, world!".to_string()];
//! let refs = ["Hello, world!".to_string()];
//! let s = vigie::eval::mt::score(&hyps, &refs).unwrap();
//! assert!((s.bleu - 100.0).abs() < 1e-9 && (s.chrf - 100.0).abs() < 1e-9);
//! ```

use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Corpus scores, 0–100.
#[derive(Debug, Clone, PartialEq)]
pub struct MtScores {
    pub bleu: f64,
    pub chrf: f64,
    /// BLEU brevity penalty and lengths (13a tokens).
    pub bp: f64,
    pub sys_len: usize,
    pub ref_len: usize,
    /// BLEU n-gram precisions (%), orders 1–4.
    pub precisions: [f64; 4],
    pub segments: usize,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MtEvalError {
    #[error("{hyps} hypotheses but {refs} references: the files must be line-aligned")]
    Mismatch { hyps: usize, refs: usize },
    #[error("no segments to score")]
    Empty,
}

fn rules() -> &'static [(Regex, &'static str); 4] {
    static R: OnceLock<[(Regex, &'static str); 4]> = OnceLock::new();
    R.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("static regex");
        [
            (re(r"([\{-\~\[-` -\&\(-\+:-@/])"), " $1 "),
            (re(r"([^0-9])([\.,])"), "$1 $2 "),
            (re(r"([\.,])([^0-9])"), " $1 $2"),
            (re(r"([0-9])(-)"), "$1 $2 "),
        ]
    })
}

/// mteval-v13a tokenisation, as sacreBLEU's `Tokenizer13a`.
pub fn tokenize_13a(line: &str) -> Vec<String> {
    let mut l = line.replace("<skipped>", "").replace("-\n", "").replace('\n', " ");
    if l.contains('&') {
        l = l.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    }
    let mut s = format!(" {l} ");
    for (re, rep) in rules() {
        s = re.replace_all(&s, *rep).into_owned();
    }
    s.split_whitespace().map(str::to_string).collect()
}

fn ngram_counts<T: std::hash::Hash + Eq + Clone>(items: &[T], n: usize) -> HashMap<&[T], usize> {
    let mut m = HashMap::new();
    if items.len() >= n {
        for w in items.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    m
}

/// (matches, hyp total, ref total) for one order.
fn match_stats<T: std::hash::Hash + Eq + Clone>(h: &[T], r: &[T], n: usize) -> (usize, usize, usize) {
    let (hc, rc) = (ngram_counts(h, n), ngram_counts(r, n));
    let m = hc.iter().map(|(g, c)| (*c).min(rc.get(g).copied().unwrap_or(0))).sum();
    (m, h.len().saturating_sub(n - 1), r.len().saturating_sub(n - 1))
}

fn bleu_from(correct: [usize; 4], total: [usize; 4], sys_len: usize, ref_len: usize) -> (f64, f64, [f64; 4]) {
    let bp = if sys_len < ref_len {
        if sys_len > 0 {
            (1.0 - ref_len as f64 / sys_len as f64).exp()
        } else {
            0.0
        }
    } else {
        1.0
    };
    let mut prec = [0.0; 4];
    if correct.iter().all(|&c| c == 0) {
        return (0.0, bp, prec);
    }
    let mut smooth = 1.0;
    for n in 0..4 {
        if total[n] == 0 {
            break;
        }
        prec[n] = if correct[n] == 0 {
            smooth *= 2.0;
            100.0 / (smooth * total[n] as f64)
        } else {
            100.0 * correct[n] as f64 / total[n] as f64
        };
    }
    let log = |p: f64| if p == 0.0 { -9_999_999_999.0 } else { p.ln() };
    let score = bp * (prec.iter().map(|&p| log(p)).sum::<f64>() / 4.0).exp();
    (score, bp, prec)
}

fn chrf_from(stats: &[[usize; 3]; 6]) -> f64 {
    const BETA2: f64 = 4.0;
    let (mut p, mut r, mut eff) = (0.0, 0.0, 0);
    for &[m, h, rf] in stats {
        if h > 0 && rf > 0 {
            p += m as f64 / h as f64;
            r += m as f64 / rf as f64;
            eff += 1;
        }
    }
    if eff == 0 {
        return 0.0;
    }
    let (p, r) = (p / eff as f64, r / eff as f64);
    if p + r == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + BETA2) * p * r / (BETA2 * p + r)
}

/// Scores line-aligned hypotheses against references.
pub fn score(hyps: &[String], refs: &[String]) -> Result<MtScores, MtEvalError> {
    if hyps.len() != refs.len() {
        return Err(MtEvalError::Mismatch { hyps: hyps.len(), refs: refs.len() });
    }
    if hyps.is_empty() {
        return Err(MtEvalError::Empty);
    }
    let (mut correct, mut total) = ([0usize; 4], [0usize; 4]);
    let (mut sys_len, mut ref_len) = (0, 0);
    let mut chr = [[0usize; 3]; 6];
    for (h, r) in hyps.iter().zip(refs) {
        let (ht, rt) = (tokenize_13a(h), tokenize_13a(r));
        sys_len += ht.len();
        ref_len += rt.len();
        for n in 1..=4 {
            let (m, t, _) = match_stats(&ht, &rt, n);
            correct[n - 1] += m;
            total[n - 1] += t;
        }
        let hc: Vec<char> = h.chars().filter(|c| !c.is_whitespace()).collect();
        let rc: Vec<char> = r.chars().filter(|c| !c.is_whitespace()).collect();
        for n in 1..=6 {
            let (m, ht, rt) = match_stats(&hc, &rc, n);
            chr[n - 1][0] += m;
            chr[n - 1][1] += ht;
            chr[n - 1][2] += rt;
        }
    }
    let (bleu, bp, precisions) = bleu_from(correct, total, sys_len, ref_len);
    Ok(MtScores { bleu, chrf: chrf_from(&chr), bp, sys_len, ref_len, precisions, segments: hyps.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tokenizer_matches_sacrebleu_13a() {
        // Expected strings from sacreBLEU 2.6.0's Tokenizer13a.
        assert_eq!(
            tokenize_13a("Hello, world! It costs 3.5 dollars-each.").join(" "),
            "Hello , world ! It costs 3.5 dollars-each ."
        );
        assert_eq!(tokenize_13a("l'armée (FAMa) a dit: «non».").join(" "), "l'armée ( FAMa ) a dit : «non» .");
        assert!(tokenize_13a("").is_empty());
    }

    #[test]
    fn corpus_scores_match_sacrebleu() {
        // sacrebleu.corpus_bleu / corpus_chrf (2.6.0) on the same lines: 21.752205156077967, 53.19996798666333.
        let hyps = v(&[
            "The convoy of the army malí has been attacked near of Aguelhoc.",
            "Hello, world! It costs 3.5 dollars-each.",
            "",
            "l'armée (FAMa) a dit: «non».",
        ]);
        let refs = v(&[
            "The Malian army convoy was attacked near Aguelhoc.",
            "Hello world! It costs 3.5 dollars each.",
            "Nothing here.",
            "The army (FAMa) said: \"no\".",
        ]);
        let s = score(&hyps, &refs).unwrap();
        assert!((s.bleu - 21.752205156077967).abs() < 1e-9, "{}", s.bleu);
        assert!((s.chrf - 53.19996798666333).abs() < 1e-9, "{}", s.chrf);
    }

    #[test]
    fn errors() {
        assert_eq!(score(&v(&["a"]), &v(&[])), Err(MtEvalError::Mismatch { hyps: 1, refs: 0 }));
        assert_eq!(score(&[], &[]), Err(MtEvalError::Empty));
        assert_eq!(score(&v(&["x"]), &v(&["y"])).unwrap().bleu, 0.0);
    }
}
