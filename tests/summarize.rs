//! The extractive summariser on the real E5 encoder (`models/e5`, built by `scripts/setup.sh`):
//! spans are whole sentences of the text, in document order, without duplicates, and short texts
//! come back whole. Without the model the tests print why and pass without checking anything.

use std::path::Path;

use vigie::models::e5::E5Encoder;
use vigie::summarize::{summarize, summarize_batch, summary_spans, SummaryConfig};
use vigie::text::segment::segment;

const ARTICLE: &str = "Des hommes armés ont attaqué lundi un convoi de l'armée malienne près d'Aguelhoc, dans la \
région de Kidal. Selon une source sécuritaire, au moins sept soldats ont été tués et plusieurs véhicules \
incendiés. L'attaque a été revendiquée mardi par un groupe jihadiste affilié à Al-Qaïda. Le convoi \
ravitaillait le camp militaire de Tessalit, isolé depuis plusieurs semaines. Dans la capitale, le \
gouvernement a décrété trois jours de deuil national. Les marchés de Bamako sont restés ouverts malgré \
l'annonce. La région connaît une recrudescence des violences depuis le départ des forces étrangères.";

/// The encoder (not `Sync`, so each test loads its own; loading takes about a second).
fn encoder() -> Option<E5Encoder> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/e5");
    if !dir.join("model.safetensors").is_file() {
        eprintln!("SKIPPED: {} is absent (scripts/setup.sh builds it)", dir.display());
        return None;
    }
    Some(E5Encoder::load(&dir).expect("models/e5 loads"))
}

#[test]
fn two_sentence_summary_is_made_of_whole_sentences_in_order() {
    let Some(enc) = encoder() else { return };
    let enc = &enc;
    let sentences = segment(ARTICLE);
    assert_eq!(sentences.len(), 7, "the article has 7 sentences");
    let cfg = SummaryConfig { k: 2, ..Default::default() };
    let summary = summarize(enc, ARTICLE, &cfg).unwrap();
    assert_eq!(summary.len(), 2, "{summary:?}");
    assert!(summary[0].start < summary[1].start, "document order, no duplicate: {summary:?}");
    for r in &summary {
        assert!(sentences.contains(r), "{r:?} is not a sentence of the text");
    }
    // the code-point spans select the same text
    let spans = summary_spans(enc, ARTICLE, &cfg).unwrap();
    assert_eq!(spans.len(), 2);
    for (s, r) in spans.iter().zip(&summary) {
        let by_chars: String = ARTICLE.chars().skip(s.start).take(s.end - s.start).collect();
        assert_eq!(by_chars, &ARTICLE[r.clone()]);
    }
    // summarising in a batch gives the same result as alone
    let batch = summarize_batch(enc, &[ARTICLE, "Une phrase seule.", ARTICLE], &cfg).unwrap();
    assert_eq!(batch, vec![summary.clone(), vec![0..17], summary]);
}

#[test]
fn k_larger_than_the_text_returns_every_sentence() {
    let Some(enc) = encoder() else { return };
    let enc = &enc;
    let all = summarize(enc, ARTICLE, &SummaryConfig { k: 20, ..Default::default() }).unwrap();
    assert_eq!(all, segment(ARTICLE));
    // a short title still comes back when it is all there is
    assert_eq!(summarize(enc, "Kidal.\n\nAttaque.", &SummaryConfig::default()).unwrap(), vec![0..6, 8..16]);
    assert!(summarize(enc, "", &SummaryConfig::default()).unwrap().is_empty());
    assert!(summarize(enc, " \n ", &SummaryConfig::default()).unwrap().is_empty());
    assert!(summarize(enc, ARTICLE, &SummaryConfig { k: 0, ..Default::default() }).unwrap().is_empty());
}
