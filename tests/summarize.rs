//! The extractive summariser on the real E5 encoder (`models/e5`, built by `scripts/setup.sh`):
//! spans are whole sentences of the text, in document order, without duplicates, and short texts
//! come back whole. Without the model the tests print why and pass without checking anything.

mod common;
use common::*;
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

fn apertium_installed() -> bool {
    std::process::Command::new("apertium").arg("-l").output().is_ok_and(|o| o.status.success())
}

#[test]
fn annotate_summarize_fills_summary_with_translation_and_brief() {
    if encoder().is_none() {
        return;
    }
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let extra = write(
        tmp.path(),
        "more.jsonl",
        "{\"id\":\"one\",\"text\":\"Le FLA a attaqué un convoi des FAMa près de Kidal.\"}\n",
    );
    let enc = concat!(env!("CARGO_MANIFEST_DIR"), "/models/e5");

    // without a translator: en is null, the reason is recorded, a warning is printed
    let out = run(&[
        "annotate",
        "--summary-sentences",
        "2",
        "--translator",
        "none",
        "--encoder",
        enc,
        seed.to_str().unwrap(),
        extra.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no translator"));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(docs.len(), 2);
    let s = &docs[0]["summary"];
    assert_eq!(s["fr"].as_array().unwrap().len(), 2);
    assert!(s["en"].is_null());
    assert!(s["translator"].as_str().unwrap().starts_with("none"));
    assert!(s["en_brief"].as_str().unwrap().contains("Azawad Liberation Front"), "{s}");
    let text: Vec<char> = docs[0]["text"].as_str().unwrap().chars().collect();
    let sentences: Vec<(u64, u64)> = docs[0]["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["start"].as_u64().unwrap(), x["end"].as_u64().unwrap()))
        .collect();
    let mut last = 0;
    for span in s["fr"].as_array().unwrap() {
        let (a, b) = (span["start"].as_u64().unwrap(), span["end"].as_u64().unwrap());
        assert!(a >= last && b as usize <= text.len(), "in order, in range");
        assert!(sentences.contains(&(a, b)), "summary spans are sentences of the document");
        last = b;
    }
    // one sentence: that sentence
    assert_eq!(docs[1]["summary"]["fr"].as_array().unwrap().len(), 1);

    if !apertium_installed() {
        eprintln!("skipped the Apertium part: apertium not installed");
        return;
    }
    let out = run(&[
        "annotate",
        "--quiet",
        "--summarize",
        "--translator",
        "apertium",
        "--encoder",
        enc,
        seed.to_str().unwrap(),
        extra.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    let s = &docs[0]["summary"];
    assert_eq!(s["fr"].as_array().unwrap().len(), 3, "default k = 3");
    let en = s["en"].as_str().unwrap();
    assert!(s["translator"].as_str().unwrap().starts_with("apertium"));
    // entity protection: names come out in their English canonical form
    assert!(en.contains("Azawad Liberation Front") && !en.contains("Front of release"), "{en}");
    let one = docs[1]["summary"]["en"].as_str().unwrap();
    assert!(one.contains("FLA") && one.contains("FAMa"), "{one}");

    // the int8 encoder: whole sentences, in order, k of them, offsets into the text
    let out = run(&[
        "annotate",
        "--quiet",
        "--summarize",
        "--summary-precision",
        "int8",
        "--translator",
        "none",
        "--encoder",
        enc,
        seed.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    let fr = docs[0]["summary"]["fr"].as_array().unwrap();
    assert_eq!(fr.len(), 3);
    let text: Vec<char> = docs[0]["text"].as_str().unwrap().chars().collect();
    let mut last = 0;
    for sp in fr {
        let (a, b) = (sp["start"].as_u64().unwrap() as usize, sp["end"].as_u64().unwrap() as usize);
        assert!(a >= last && a < b && b <= text.len(), "{fr:?}");
        last = b;
    }
}

#[test]
fn annotate_summarize_bad_settings_are_usage_or_fatal_errors() {
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["annotate", "--summarize", "--encoder", tmp.path().to_str().unwrap(), seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E5 encoder"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["annotate", "--summarize", "--translator", "klingon", seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["annotate", "--summarize", "--translator", "marian", seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--marian-model"));
    let out = run(&["annotate", "--summarize", "--summary-precision", "int4", seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

/// Summary spans of one record: whole sentences of it, in order, k of them (or all).
fn check_summary_spans(doc: &serde_json::Value, k: usize) {
    let s = &doc["summary"];
    let sentences: Vec<(u64, u64)> = doc["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["start"].as_u64().unwrap(), x["end"].as_u64().unwrap()))
        .collect();
    let fr = s["fr"].as_array().unwrap();
    assert_eq!(fr.len(), k.min(sentences.len()), "{s}");
    let mut last = 0;
    for span in fr {
        let (a, b) = (span["start"].as_u64().unwrap(), span["end"].as_u64().unwrap());
        assert!(a >= last, "in order: {s}");
        assert!(sentences.contains(&(a, b)), "summary spans are sentences of the document: {s}");
        last = b;
    }
}

/// The default pipeline summarises from the NER encoder's own pass (no E5 load), and --fast
/// --summarize from TF-IDF vectors (no model at all); both give whole sentences in order.
#[test]
fn default_pipeline_summaries_come_from_the_ner_pass_and_fast_ones_from_tfidf() {
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let extra = write(
        tmp.path(),
        "more.jsonl",
        format!(
            "{{\"id\":\"a\",\"text\":{}}}\n{{\"id\":\"one\",\"text\":\"Le FLA a attaqué Kidal.\"}}\n",
            serde_json::to_string(ARTICLE).unwrap()
        ),
    );
    let out = run(&[
        "annotate",
        "--fast",
        "--summarize",
        "--translator",
        "none",
        seed.to_str().unwrap(),
        extra.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(docs.len(), 3);
    for d in &docs {
        check_summary_spans(d, 3);
        assert_eq!(d["pipeline"]["models"]["summary"]["vectors"], "lexical");
        assert!(d["pipeline"]["models"].get("ner.model").is_none());
    }
    assert_eq!(docs[2]["summary"]["fr"].as_array().unwrap().len(), 1, "a one-sentence text is its own summary");

    if !full_pipeline_available() {
        return;
    }
    let out = run(&[
        "annotate",
        "--translator",
        "none",
        "--summary-sentences",
        "2",
        seed.to_str().unwrap(),
        extra.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    for d in &docs {
        check_summary_spans(d, 2);
        let m = &d["pipeline"]["models"];
        assert_eq!(m["summary"]["vectors"], "ner-encoder", "{m}");
        assert!(m["ner.model"].is_object(), "{m}");
    }
    // the article's lead sentence names the attack; a summary of 2 must not be the deuil/marchés filler
    let text: Vec<char> = docs[1]["text"].as_str().unwrap().chars().collect();
    let chosen: String = docs[1]["summary"]["fr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            text[s["start"].as_u64().unwrap() as usize..s["end"].as_u64().unwrap() as usize].iter().collect::<String>()
        })
        .collect();
    assert!(chosen.contains("convoi"), "{chosen}");

    // NER vectors without a model is a usage error with a clear message
    let out = run(&["annotate", "--fast", "--summarize", "--summary-vectors", "ner", seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs the NER model"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
