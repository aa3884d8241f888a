//! The transformer NER model (models/ner-fr over models/e5): loading errors, window edges, a long
//! document, offsets, and the CLI. Tests that need the model skip with a reason where it (or the
//! imported base encoder) is absent; `VIGIE_TEST_NER_MODEL` points them at another model folder.

mod common;
use common::*;

use std::path::PathBuf;
use std::sync::OnceLock;
use vigie::doc::{Document, Label, Source};
use vigie::ner::model::{ModelError, ModelTagger, NerConfig, NerModel, Precision, ADAPTER_FILE, CONFIG_FILE};
use vigie::pipeline::Pipeline;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model_dir() -> Option<PathBuf> {
    let dir =
        std::env::var_os("VIGIE_TEST_NER_MODEL").map(PathBuf::from).unwrap_or_else(|| root().join("models/ner-fr"));
    if !dir.join(ADAPTER_FILE).is_file() {
        eprintln!("skipped: no trained model in {}", dir.display());
        return None;
    }
    if !root().join("models/e5/model.safetensors").is_file() {
        eprintln!("skipped: models/e5 not imported (run scripts/setup.sh)");
        return None;
    }
    Some(dir)
}

/// One loaded model for the whole test binary (loading takes a few seconds).
fn tagger() -> Option<&'static ModelTagger> {
    static T: OnceLock<Option<ModelTagger>> = OnceLock::new();
    T.get_or_init(|| {
        let dir = model_dir()?;
        Some(ModelTagger::new(NerModel::load(&dir, Some(&root().join("models/e5"))).expect("model loads")))
    })
    .as_ref()
}

fn doc(id: &str, text: &str) -> Document {
    Document { id: vigie::doc::DocId::Str(id.into()), text: text.into(), lang: None, meta: Default::default() }
}

/// Entities the model alone finds in `texts` (through the pipeline's batched path).
fn model_entities(texts: &[String]) -> Option<Vec<Vec<vigie::doc::Entity>>> {
    tagger()?;
    static A: OnceLock<Pipeline> = OnceLock::new();
    let annotator = A.get_or_init(|| {
        let dir = model_dir().unwrap();
        let m = NerModel::load(&dir, Some(&root().join("models/e5"))).unwrap();
        Pipeline::new(vec![std::sync::Arc::new(ModelTagger::new(m))])
    });
    let docs = texts.iter().enumerate().map(|(i, t)| doc(&format!("d{i}"), t)).collect();
    Some(annotator.annotate_batch(docs).into_iter().map(|r| r.expect("annotated").entities).collect())
}

fn err_of(r: Result<NerModel, ModelError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn loading_errors_are_clear_values_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope");
    assert!(err_of(NerModel::load(&missing, None)).contains("missing"));
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = err_of(NerModel::load(&empty, None));
    assert!(e.contains(CONFIG_FILE) && e.contains("not a vigie NER model folder"), "{e}");
    write(&empty, CONFIG_FILE, "{not json");
    assert!(err_of(NerModel::load(&empty, None)).contains(CONFIG_FILE));
    write(
        &empty,
        CONFIG_FILE,
        r#"{"format":"other/9","base":"e5","base_fingerprint":"x","labels":["PERSON"],"lora":{"rank":4,"alpha":8},"max_len":128}"#,
    );
    assert!(err_of(NerModel::load(&empty, None)).contains("format"));

    let Some(dir) = model_dir() else { return };
    let cfg = NerConfig::read(&dir).unwrap();
    let copy = tmp.path().join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    cfg.write(&copy).unwrap();
    // no adapter file
    assert!(err_of(NerModel::load(&copy, Some(&root().join("models/e5")))).contains(ADAPTER_FILE));
    // corrupt adapter
    write(&copy, ADAPTER_FILE, b"\x00\x01garbage that is not safetensors");
    let e = err_of(NerModel::load(&copy, Some(&root().join("models/e5"))));
    assert!(e.contains(ADAPTER_FILE), "{e}");
    // truncated adapter
    let bytes = std::fs::read(dir.join(ADAPTER_FILE)).unwrap();
    write(&copy, ADAPTER_FILE, &bytes[..bytes.len() / 2]);
    assert!(err_of(NerModel::load(&copy, Some(&root().join("models/e5")))).contains(ADAPTER_FILE));
    // base folder missing, or another base
    std::fs::copy(dir.join(ADAPTER_FILE), copy.join(ADAPTER_FILE)).unwrap();
    let e = err_of(NerModel::load(&copy, Some(&tmp.path().join("no-base"))));
    assert!(e.contains("config.json") && e.contains("setup.sh"), "{e}");
    let mut other = cfg.clone();
    other.base_fingerprint = "0123456789abcdef".into();
    other.write(&copy).unwrap();
    let e = err_of(NerModel::load(&copy, Some(&root().join("models/e5"))));
    assert!(e.contains("does not match"), "{e}");
    // labels that do not fit the head
    let mut fewer = cfg.clone();
    fewer.labels.truncate(1);
    fewer.write(&copy).unwrap();
    let e = err_of(NerModel::load(&copy, Some(&root().join("models/e5"))));
    assert!(e.contains("shape"), "{e}");
}

/// A sentence repeated without any full stop: one run of words much longer than a window, so
/// window edges fall everywhere; every repetition must come out whole.
#[test]
fn entities_at_window_edges_are_whole() {
    let unit = "le ministre Jean-Yves Le Drian a rencontré le président Mohamed Bazoum à Niamey puis";
    let reps = 60;
    let text = vec![unit; reps].join(" ") + ".";
    let Some(found) = model_entities(&[text.clone()]) else { return };
    let found = &found[0];
    let max_len = tagger().unwrap().model().config().max_len;
    let pieces = tagger().unwrap().model().tokenizer().pieces(&text.split(' ').collect::<Vec<_>>()).unwrap();
    let n_pieces: usize = pieces.iter().map(Vec::len).sum();
    assert!(n_pieces > 8 * max_len, "the run must span many windows ({n_pieces} pieces)");
    for (name, label) in
        [("Jean-Yves Le Drian", Label::Person), ("Mohamed Bazoum", Label::Person), ("Niamey", Label::Location)]
    {
        let whole = found.iter().filter(|e| e.text == name && e.label == label).count();
        let partial: Vec<&str> = found
            .iter()
            .filter(|e| e.text != name && (name.contains(e.text.as_str()) || e.text.contains(name)))
            .map(|e| e.text.as_str())
            .collect();
        eprintln!("{name}: {whole}/{reps} whole, partial {partial:?}");
        assert_eq!(whole, reps, "{name} found whole in every repetition");
        assert!(partial.is_empty(), "{name} cut: {partial:?}");
    }
    for e in found {
        assert_eq!(e.source, Source::Model);
        assert_eq!(text.chars().skip(e.start).take(e.end - e.start).collect::<String>(), e.text);
        assert_eq!(&text[e.start_byte..e.end_byte], e.text);
    }
}

#[test]
fn long_document_over_5000_words() {
    let places = ["Gao", "Tombouctou", "Mopti", "Ségou", "Kidal", "Ménaka", "Bamako", "Niamey", "Ouagadougou", "Dori"];
    let persons = ["Assimi Goïta", "Abdoulaye Diop", "Mohamed Bazoum", "Ibrahim Traoré", "Antonio Guterres"];
    let mut sents = Vec::new();
    for i in 0..400 {
        sents.push(format!(
            "Selon {}, la situation reste tendue à {} depuis le début de la semaine, et les habitants attendent des nouvelles du gouvernement.",
            persons[i % persons.len()],
            places[i % places.len()]
        ));
    }
    let text = sents.join(" ");
    let words = text.split_whitespace().count();
    assert!(words > 5000, "{words} words");
    let t0 = std::time::Instant::now();
    let Some(found) = model_entities(&[text.clone()]) else { return };
    eprintln!("{words} words tagged in {:.1}s", t0.elapsed().as_secs_f64());
    let found = &found[0];
    let place_hits = found.iter().filter(|e| e.label == Label::Location && places.contains(&e.text.as_str())).count();
    let person_hits = found.iter().filter(|e| e.label == Label::Person && persons.contains(&e.text.as_str())).count();
    eprintln!("places {place_hits}/400, persons {person_hits}/400, {} entities", found.len());
    assert!(place_hits >= 380 && person_hits >= 380, "places {place_hits}, persons {person_hits}");
    for e in found {
        assert_eq!(&text[e.start_byte..e.end_byte], e.text);
    }
    let idx: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    for e in found {
        assert_eq!(idx[e.start], e.start_byte);
    }
}

#[test]
fn offsets_hold_on_awkward_text() {
    let texts: Vec<String> = vec![
        "À Tombouctou 🇲🇱, l'armée a vu « Wagner » et l’EIGS… e\u{301}tonnant : Ségou/Mopti (Mali).".into(),
        "\u{feff}Emmanuel Macron 👩‍👩‍👧 a parlé à Paris\u{a0}; puis à Berlin avec Olaf Scholz.".into(),
        "".into(),
        "   \n\n  ".into(),
        "Ω".repeat(3000),
        "https://exemple.org/une/très/longue/adresse?avec=des&paramètres=nombreux#et-un-fragment à Dakar.".into(),
    ];
    let Some(found) = model_entities(&texts) else { return };
    for (t, ents) in texts.iter().zip(&found) {
        let chars: Vec<char> = t.chars().collect();
        for e in ents {
            assert!(e.start < e.end && e.end <= chars.len());
            assert_eq!(chars[e.start..e.end].iter().collect::<String>(), e.text);
            assert_eq!(&t[e.start_byte..e.end_byte], e.text);
            assert!(e.score > 0.0 && e.score <= 1.0);
        }
    }
    assert!(found[1].iter().any(|e| e.text == "Emmanuel Macron" && e.label == Label::Person), "{:?}", found[1]);
}

#[test]
fn cli_annotate_and_eval_with_the_model() {
    let Some(dir) = model_dir() else { return };
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    let base = root().join("models/e5");
    let base = base.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let more = write(
        tmp.path(),
        "more.jsonl",
        "{\"id\":\"m\",\"text\":\"Emmanuel Macron a rencontré Olaf Scholz à Berlin avant de parler au FLA.\"}\n",
    );
    let out = run(&[
        "annotate",
        "--quiet",
        "--ner-model",
        dir.to_str().unwrap(),
        "--ner-base",
        base,
        seed.to_str().unwrap(),
        more.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    let ents = docs[0]["entities"].as_array().unwrap();
    // the seed's names are all in the lexicons, which win over the model where spans overlap
    assert!(ents.iter().any(|e| e["source"] == "lexicon" && e["text"] == "Africa Corps"));
    assert!(ents.iter().all(|e| e["text"] != "Corps russe"), "a model span overlapping a lexicon span is dropped");
    let ents = docs[1]["entities"].as_array().unwrap();
    let has =
        |t: &str, l: &str, src: &str| ents.iter().any(|e| e["text"] == t && e["label"] == l && e["source"] == src);
    assert!(has("Emmanuel Macron", "PERSON", "model") && has("Olaf Scholz", "PERSON", "model"), "{ents:?}");
    assert!(has("Berlin", "LOCATION", "model") || has("Berlin", "LOCATION", "lexicon"), "{ents:?}");
    assert!(has("FLA", "ARMED_GROUP", "lexicon"), "{ents:?}");
    assert!(docs[0]["pipeline"]["models"]["ner.model"]["base_fingerprint"].is_string());

    let gold = write(
        tmp.path(),
        "gold.conll",
        "Emmanuel\tB-PER\nMacron\tI-PER\nest\tO\nà\tO\nBerlin\tB-LOC\n.\tO\n\nLa\tO\nBanque\tB-ORG\nmondiale\tI-ORG\nprête\tO\n.\tO\n",
    );
    let pred = tmp.path().join("pred.conll");
    let out = run(&[
        "eval",
        "ner",
        "--gold",
        gold.to_str().unwrap(),
        "--model",
        dir.to_str().unwrap(),
        "--base",
        base,
        "--save",
        pred.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("words/s"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("micro F1="), "{last}");
    let f1: f64 = last["micro F1=".len()..].parse().unwrap();
    assert!(f1 >= 0.66, "{stdout}");
    assert_eq!(std::fs::read_to_string(&pred).unwrap().lines().filter(|l| !l.is_empty()).count(), 11);

    // JSONL gold with code-point spans goes through the raw-text path
    let gold = write(tmp.path(), "gold.jsonl", "{\"id\":\"a\",\"text\":\"Emmanuel Macron est à Berlin.\",\"entities\":[{\"start\":0,\"end\":15,\"label\":\"PER\"},{\"start\":22,\"end\":28,\"label\":\"LOC\"}]}\n");
    let out = run(&["eval", "ner", "--gold", gold.to_str().unwrap(), "--model", dir.to_str().unwrap(), "--base", base]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.trim_end().ends_with("micro F1=1.000"), "{stdout}");

    // a missing model folder is a clear fatal error
    let out =
        run(&["annotate", "--quiet", "--ner-model", tmp.path().join("none").to_str().unwrap(), seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("NER model") && err.contains("missing"), "{err}");
}

/// The int8 encoder (`--precision int8`) tags like the f32 rust-bert model on the
/// project's own dev paragraphs, and their spans keep the offset invariants.
#[test]
fn int8_encoders_agree_with_fp32() {
    let Some(dir) = model_dir() else { return };
    if !int8_available() {
        return;
    }
    let base = root().join("models/e5");
    let texts: Vec<String> = std::fs::read_to_string(root().join("tests/data/conflict_dev.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["text"].as_str().unwrap().to_string())
        .collect();
    assert!(texts.len() >= 60);
    let words: Vec<Vec<&str>> = texts.iter().map(|t| t.split_whitespace().collect()).collect();
    let fp32 = NerModel::load_with(&dir, Some(&base), Precision::Fp32).unwrap();
    assert_eq!(fp32.precision(), Precision::Fp32);
    let reference = fp32.predict_words(&words).unwrap();
    drop(fp32);
    let n_words: usize = reference.iter().map(|s| s.len()).sum();
    for (precision, min_agree) in [(Precision::Int8, 0.99)] {
        let model = NerModel::load_with(&dir, Some(&base), precision).unwrap();
        assert_eq!(model.describe()["precision"], precision.as_str());
        let got = model.predict_words(&words).unwrap();
        assert_eq!(got.len(), reference.len());
        let same: usize = got
            .iter()
            .zip(&reference)
            .map(|(g, r)| {
                assert_eq!(g.len(), r.len());
                g.iter().zip(r).filter(|(a, b)| a.tag == b.tag).count()
            })
            .sum();
        let agree = same as f64 / n_words as f64;
        eprintln!("{}: {same}/{n_words} word tags as fp32 ({agree:.4})", precision.as_str());
        assert!(agree >= min_agree, "{}: only {agree:.4} of word tags agree with fp32", precision.as_str());
        assert!(got.iter().flatten().all(|p| p.prob.is_finite() && p.prob > 0.0 && p.prob <= 1.0 + 1e-6));
        // the pipeline path: spans on the raw text keep the offset invariants
        let annotator = Pipeline::new(vec![std::sync::Arc::new(ModelTagger::new(model))]);
        let docs = texts.iter().enumerate().map(|(i, t)| doc(&format!("d{i}"), t)).collect();
        let mut spans = 0;
        for (r, text) in annotator.annotate_batch(docs).into_iter().zip(&texts) {
            for e in r.expect("annotated").entities {
                assert_eq!(&text[e.start_byte..e.end_byte], e.text);
                assert_eq!(text.chars().skip(e.start).take(e.end - e.start).collect::<String>(), e.text);
                spans += 1;
            }
        }
        assert!(spans > 300, "{}: {spans} spans", precision.as_str());
    }
}

/// int8 tags do not depend on the CPU: fbgemm's AVX2 kernels (forced with
/// `FBGEMM_ENABLE_INSTRUCTIONS=AVX2`) give exactly the entities of the CPU's own best path
/// (AVX-512 VNNI where present), because no int16 pair sum can saturate (`models::int8` docs).
/// On an AVX2-only machine both runs take the same path and the test still checks determinism.
#[test]
fn int8_output_is_the_same_on_every_fbgemm_path() {
    let Some(dir) = model_dir() else { return };
    if !int8_available() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let gold = root().join("tests/data/conflict_dev.jsonl");
    let entities = |forced: Option<&str>, name: &str| {
        let out = tmp.path().join(name);
        let mut cmd = vigie();
        cmd.args(["annotate", "--quiet", "--no-summary", "--ner-precision", "int8", "--ner-model"])
            .arg(&dir)
            .arg(&gold)
            .arg("-o")
            .arg(&out);
        match forced {
            Some(f) => cmd.env("FBGEMM_ENABLE_INSTRUCTIONS", f),
            None => cmd.env_remove("FBGEMM_ENABLE_INSTRUCTIONS"),
        };
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let recs = check_output(&std::fs::read_to_string(&out).unwrap());
        let path = recs[0]["pipeline"]["models"]["ner.model"]["int8_path"].as_str().unwrap().to_string();
        let ents: Vec<serde_json::Value> = recs.iter().map(|r| r["entities"].clone()).collect();
        (path, ents)
    };
    let (native_path, native) = entities(None, "native.jsonl");
    let (avx2_path, avx2) = entities(Some("AVX2"), "avx2.jsonl");
    eprintln!("fbgemm paths compared: {native_path} vs {avx2_path}");
    assert_eq!(avx2_path, "avx2");
    assert_eq!(native.len(), avx2.len());
    for (i, (a, b)) in native.iter().zip(&avx2).enumerate() {
        assert_eq!(a, b, "document {i}: entities differ between fbgemm's {native_path} and avx2 paths");
    }
}

#[test]
fn cli_precision_flag() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let gold = write(tmp.path(), "gold.conll", "Emmanuel\tB-PER\nMacron\tI-PER\nest\tO\nà\tO\nBerlin\tB-LOC\n.\tO\n");
    let base = root().join("models/e5");
    let args = |p: &'static str| {
        vec![
            "eval".to_string(),
            "ner".into(),
            "--gold".into(),
            gold.to_str().unwrap().into(),
            "--model".into(),
            dir.to_str().unwrap().into(),
            "--base".into(),
            base.to_str().unwrap().into(),
            "--precision".into(),
            p.into(),
        ]
    };
    // auto runs what Precision::resolve picks on this CPU, and says why
    let auto = vigie::models::int8::Precision::Auto.resolve(vigie::models::int8::EncoderRole::Ner).unwrap();
    for p in ["int8", "fp32", "auto"] {
        let a = args(p);
        let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{stdout} {stderr}");
        let ran = if p == "auto" { auto.precision.as_str() } else { p };
        assert!(stdout.contains(&format!("({ran}) [")), "{stdout}");
        if p == "auto" {
            assert!(stdout.contains("[auto: ") && stdout.contains("fbgemm int8 path"), "{stdout}");
        }
        assert!(stdout.trim_end().ends_with("micro F1=1.000"), "{p}: {stdout}");
        // libtorch's deprecation notices for the fbgemm entry points are not shown to users
        assert!(!stderr.contains("deprecated"), "{p}: {stderr}");
    }
    let a = args("int4");
    let out = run(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fp32"));
}

/// The pruned vocabulary (Latin-script rows, the default) tags French text exactly like the
/// full table, and text in other scripts still goes through (its pieces read as `<unk>`).
#[test]
fn pruned_vocabulary_tags_like_the_full_one() {
    let Some(dir) = model_dir() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let french = root().join("tests/data/conflict_dev.jsonl");
    let text = "Le porte-parole (مصدر أمني) a cité l'agence TASS (ТАСС) à Moscou : le FLA a attaqué Kidal 🙂.";
    let mixed = write(
        tmp.path(),
        "mixed.jsonl",
        format!("{{\"id\":\"scripts\",\"text\":{}}}\n", serde_json::to_string(text).unwrap()),
    );
    let annotate = |vocab: &str, input: &std::path::Path| {
        let out = tmp.path().join(format!("{vocab}.jsonl"));
        let o = vigie()
            .args(["annotate", "--quiet", "--no-summary", "--ner-vocab", vocab, "--ner-model"])
            .arg(&dir)
            .arg(input)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        check_output(&std::fs::read_to_string(&out).unwrap())
    };
    // French text: the same pieces, so the same output, scores included
    let (latin, full) = (annotate("latin", &french), annotate("full", &french));
    let rows = |r: &[serde_json::Value]| r[0]["pipeline"]["models"]["ner.model"]["vocab_rows"].as_u64().unwrap();
    assert!(rows(&latin) < rows(&full) / 2, "{} of {}", rows(&latin), rows(&full));
    assert_eq!(latin.len(), full.len());
    for (i, (a, b)) in latin.iter().zip(&full).enumerate() {
        assert_eq!(a["entities"], b["entities"], "paragraph {i}");
    }
    // other scripts go through <unk>: the French names around them are still found
    let m = annotate("latin", &mixed);
    let found: Vec<&str> = m[0]["entities"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(found.contains(&"FLA") && found.contains(&"Kidal"), "{found:?}");
    let bad = run(&["annotate", "--ner-vocab", "half", "x.jsonl"]);
    assert_eq!(bad.status.code(), Some(2));
}
