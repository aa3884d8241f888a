//! Lexical sentence vectors: TF-IDF over the document's own words (no model). Each sentence is a
//! vector over the document's vocabulary, with sublinear term frequency `1 + ln(tf)`, inverse
//! sentence frequency `ln(1 + N / df)` within the document, French function words left out, and
//! L2 normalisation, so cosine centrality rewards sentences that share the document's recurring
//! content words (the classic centroid summariser, Radev et al. 2004).

use std::collections::HashMap;
use std::ops::Range;

/// French function words (articles, prepositions, pronouns, auxiliaries, conjunctions): they
/// carry no topic.
const STOPWORDS: &[&str] = &[
    "a", "à", "ai", "ainsi", "alors", "au", "aux", "avait", "avec", "avoir", "c", "ce", "ceci", "cela", "celle",
    "celles", "celui", "ces", "cet", "cette", "ceux", "chez", "comme", "d", "dans", "de", "des", "du", "donc", "dont",
    "elle", "elles", "en", "entre", "est", "et", "été", "être", "eu", "fait", "il", "ils", "j", "je", "l", "la", "le",
    "les", "leur", "leurs", "lui", "m", "mais", "me", "même", "n", "ne", "ni", "nous", "on", "ont", "ou", "où", "par",
    "pas", "plus", "pour", "qu", "que", "qui", "s", "sa", "sans", "se", "selon", "ses", "si", "son", "sont", "sous",
    "sur", "t", "ta", "te", "tous", "tout", "toute", "toutes", "très", "tu", "un", "une", "vers", "vous", "y", "était",
    "étaient", "sera", "seront", "aussi", "après", "avant", "depuis", "encore", "lors", "puis", "dont", "cette",
    "quand", "avaient", "fut", "peut", "doit",
];

/// Lower-cased content words of `s`: maximal alphanumeric runs that are not function words.
fn content_words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
}

/// One L2-normalised TF-IDF vector per sentence (`sentences`: byte ranges of `text`), all of the
/// document's vocabulary size; a sentence without content words gets zeros.
pub fn tfidf_vectors(text: &str, sentences: &[Range<usize>]) -> Vec<Vec<f32>> {
    let mut vocab: HashMap<String, usize> = HashMap::new();
    let counts: Vec<HashMap<usize, u32>> = sentences
        .iter()
        .map(|r| {
            let mut c = HashMap::new();
            for w in content_words(&text[r.clone()]) {
                let n = vocab.len();
                let id = *vocab.entry(w).or_insert(n);
                *c.entry(id).or_insert(0) += 1;
            }
            c
        })
        .collect();
    let mut df = vec![0u32; vocab.len()];
    for c in &counts {
        for &id in c.keys() {
            df[id] += 1;
        }
    }
    let n = sentences.len().max(1) as f32;
    counts
        .iter()
        .map(|c| {
            let mut v = vec![0f32; vocab.len().max(1)];
            for (&id, &tf) in c {
                v[id] = (1.0 + (tf as f32).ln()) * (1.0 + n / df[id] as f32).ln();
            }
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|x| *x /= norm);
            }
            v
        })
        .collect()
}

/// `a` and `b` side by side, weighted `wa` and `1 - wa` in squared norm (each part unit-length
/// or zero), so the cosine of two joined vectors is the weighted mean of the parts' cosines.
pub fn join(a: &[Vec<f32>], b: &[Vec<f32>], wa: f32) -> Vec<Vec<f32>> {
    let (sa, sb) = (wa.sqrt(), (1.0 - wa).sqrt());
    a.iter().zip(b).map(|(x, y)| x.iter().map(|v| v * sa).chain(y.iter().map(|v| v * sb)).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn shared_content_words_make_sentences_close() {
        let text = "Le convoi a été attaqué près de Kidal. Le convoi attaqué transportait des vivres. Il pleuvait.";
        let s = crate::text::segment::segment(text);
        let v = tfidf_vectors(text, &s);
        assert_eq!(v.len(), 3);
        assert!(dot(&v[0], &v[1]) > 0.3, "{}", dot(&v[0], &v[1]));
        assert_eq!(dot(&v[0], &v[2]), 0.0);
        for x in &v {
            assert!((dot(x, x) - 1.0).abs() < 1e-5);
        }
        // function words only: zeros, not NaN
        let t = "Il est là. Le convoi passe.";
        let v = tfidf_vectors(t, &crate::text::segment::segment(t));
        assert!(v[0].iter().all(|x| *x == 0.0) || v[0].iter().all(|x| x.is_finite()));
        assert!(tfidf_vectors("", &[]).is_empty());
    }

    #[test]
    fn joined_cosines_are_weighted_means() {
        let a = vec![vec![1.0, 0.0], vec![0.0, 1.0]];
        let b = vec![vec![1.0], vec![1.0]];
        let j = join(&a, &b, 0.25);
        assert!((dot(&j[0], &j[1]) - 0.75).abs() < 1e-6);
        assert!((dot(&j[0], &j[0]) - 1.0).abs() < 1e-6);
    }
}
