//! Marian backend on a tiny random-weight model made by the project itself
//! (`vigie::translate::marian_fixture`): loading, tokenizer, batching, greedy and beam decoding,
//! max length, empty and over-long input, one model shared by many workers, loading errors, CLI.
//! The weights are random, so outputs are gibberish: the tests check the machinery, not English.

mod common;

use common::run;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use vigie::translate::marian::{MarianOptions, MarianTranslator};
use vigie::translate::marian_fixture::{build, FixtureSpec, DEFAULT_TEXT};
use vigie::translate::{TranslateError, Translator};

/// One fixture folder for the whole test binary.
fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep().join("marian-fixture");
        let r = build(&dir, DEFAULT_TEXT, &FixtureSpec::default()).expect("fixture builds");
        assert!(r.vocab_size > 100 && r.parameters > 10_000, "{r:?}");
        dir
    })
}

fn load(opts: MarianOptions) -> MarianTranslator {
    MarianTranslator::load(fixture(), opts).expect("fixture loads")
}

fn sentences() -> Vec<String> {
    [
        "Le convoi de l'armée a été attaqué près de la ville.",
        "Des drones ont survolé la région.",
        "Les rebelles ont revendiqué l'embuscade dans un communiqué publié mardi soir par leur porte-parole.",
        "Un accord a été signé.",
        "Les combats ont fait au moins douze morts.",
        "La mission des Nations unies a condamné l'attaque contre le camp.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn greedy() -> MarianOptions {
    MarianOptions { num_beams: 1, max_length: 24, batch_size: 8, ..Default::default() }
}

#[test]
fn loads_with_its_own_sentencepiece_model() {
    let tr = load(MarianOptions::default());
    assert!(tr.id().starts_with("marian vigie/marian-fixture-d32-l2"), "{}", tr.id());
    // the protobuf written by the project is read back by rust_tokenizers: known words are
    // whole pieces, the text is covered without unknown pieces
    assert_eq!(tr.count_tokens("Le convoi de l'armée"), 4);
    assert!(tr.count_tokens("attaqué") <= 2);
}

#[test]
fn batching_does_not_change_outputs() {
    let tr = load(greedy());
    let s = sentences();
    for beams in [1, 3] {
        let one = MarianOptions { batch_size: 1, num_beams: beams, ..greedy() };
        let many = MarianOptions { batch_size: 4, num_beams: beams, ..greedy() };
        let (a, sa) = tr.translate_with(&s, &one).unwrap();
        let (b, sb) = tr.translate_with(&s, &many).unwrap();
        assert_eq!(a, b, "beams {beams}");
        assert_eq!((sa.batches, sb.batches), (6, 2));
        assert_eq!(sa.input_tokens, sb.input_tokens);
        assert_eq!(a.len(), s.len());
    }
}

#[test]
fn greedy_and_beam_decoding_are_deterministic_and_bounded() {
    let tr = load(greedy());
    let s = sentences();
    let (g1, st) = tr.translate_with(&s, &greedy()).unwrap();
    let (g2, _) = tr.translate_with(&s, &greedy()).unwrap();
    assert_eq!(g1, g2);
    assert!(st.output_tokens > 0, "the model generated nothing: {st:?}");
    assert!(st.output_tokens <= s.len() * 23, "{st:?}");
    let beam = MarianOptions { num_beams: 4, ..greedy() };
    let (b1, sb) = tr.translate_with(&s, &beam).unwrap();
    let (b2, _) = tr.translate_with(&s, &beam).unwrap();
    assert_eq!(b1, b2);
    assert!(sb.output_tokens <= s.len() * 23, "{sb:?}");
    // Translator::translate uses the loaded options
    assert_eq!(tr.translate(&s).unwrap(), g1);
}

#[test]
fn max_length_bounds_every_output() {
    let tr = load(greedy());
    let s = sentences();
    // the fixture has 128 positions: a longer max_length is capped there, not an index error
    let (out, st) = tr.translate_with(&s[..2], &MarianOptions { max_length: 1000, ..greedy() }).unwrap();
    assert_eq!(out.len(), 2);
    assert!(st.output_tokens <= 2 * 127, "{st:?}");
    for (max_length, beams) in [(2, 1), (5, 1), (5, 4), (12, 2)] {
        let o = MarianOptions { max_length, num_beams: beams, ..greedy() };
        let (out, st) = tr.translate_with(&s, &o).unwrap();
        assert_eq!(out.len(), s.len());
        assert!(
            st.output_tokens <= s.len() * (max_length as usize - 1),
            "max_length {max_length}, beams {beams}: {st:?}"
        );
    }
}

#[test]
fn empty_input_and_blank_sentences() {
    let tr = load(greedy());
    let (out, st) = tr.translate_with(&[], &greedy()).unwrap();
    assert!(out.is_empty());
    assert_eq!(st.batches, 0);
    let input = vec!["".to_string(), "  \n ".to_string(), "Des drones ont survolé la région.".to_string()];
    let (out, st) = tr.translate_with(&input, &greedy()).unwrap();
    assert_eq!(out.len(), 3);
    assert_eq!((out[0].as_str(), out[1].as_str()), ("", ""));
    assert_eq!(st.batches, 1);
    let (alone, _) = tr.translate_with(&input[2..], &greedy()).unwrap();
    assert_eq!(out[2], alone[0]);
}

#[test]
fn over_long_input_is_split_not_cut() {
    let tr = load(MarianOptions { max_length: 4, ..greedy() });
    // fixture positions: 128; this sentence has far more pieces
    let long = "Les combats ont fait au moins douze morts et vingt blessés. ".repeat(30);
    assert!(tr.count_tokens(&long) > 128);
    let (out, st) = tr.translate_with_stats(&[long]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(st.split_inputs, 1);
    assert!(st.batches >= 1 && st.input_tokens > 128, "{st:?}");
}

#[test]
fn one_loaded_model_serves_all_workers() {
    let tr = Arc::new(load(greedy()));
    let s = sentences();
    let (expected, _) = tr.translate_with(&s, &MarianOptions { batch_size: 1, ..greedy() }).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    let got: Vec<String> = pool.install(|| {
        (0..s.len() * 3)
            .into_par_iter()
            .map(|i| {
                let k = i % s.len();
                tr.translate(&s[k..k + 1]).unwrap().remove(0)
            })
            .collect()
    });
    for (i, g) in got.iter().enumerate() {
        assert_eq!(g, &expected[i % s.len()], "worker result {i}");
    }
}

fn copy_fixture(skip: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for f in ["config.json", "vocab.json", "source.spm", "target.spm", "rust_model.ot"] {
        if f != skip {
            std::fs::copy(fixture().join(f), d.path().join(f)).unwrap();
        }
    }
    d
}

fn load_error(dir: &Path) -> String {
    match MarianTranslator::load(dir, MarianOptions::default()) {
        Err(e @ TranslateError::Unavailable(_)) => e.to_string(),
        Err(e) => panic!("unexpected error kind: {e}"),
        Ok(_) => panic!("{} loaded", dir.display()),
    }
}

#[test]
fn loading_errors_name_the_problem() {
    for f in ["config.json", "vocab.json", "source.spm"] {
        let d = copy_fixture(f);
        let e = load_error(d.path());
        assert!(e.contains(&format!("{f} is missing")), "{e}");
    }
    let d = copy_fixture("rust_model.ot");
    assert!(load_error(d.path()).contains("no weights"));

    let d = copy_fixture("");
    std::fs::write(d.path().join("config.json"), "{ not json").unwrap();
    assert!(load_error(d.path()).contains("config.json"));

    let d = copy_fixture("");
    std::fs::write(d.path().join("config.json"), r#"{"model_type":"bert","vocab_size":10}"#).unwrap();
    assert!(load_error(d.path()).contains("config.json"));

    let d = copy_fixture("");
    std::fs::write(d.path().join("source.spm"), b"\xff\xff\xff garbage").unwrap();
    assert!(load_error(d.path()).contains("tokenizer"));

    let d = copy_fixture("");
    let w = std::fs::read(d.path().join("rust_model.ot")).unwrap();
    std::fs::write(d.path().join("rust_model.ot"), &w[..w.len() / 3]).unwrap();
    assert!(load_error(d.path()).contains("rust_model.ot"), "truncated weights");

    // weights of another size: a wider fixture's weights under this config
    let other = tempfile::tempdir().unwrap();
    build(other.path(), DEFAULT_TEXT, &FixtureSpec { d_model: 48, ..Default::default() }).unwrap();
    let d = copy_fixture("");
    std::fs::copy(other.path().join("rust_model.ot"), d.path().join("rust_model.ot")).unwrap();
    let e = load_error(d.path());
    assert!(e.contains("rust_model.ot"), "{e}");

    // safetensors weights load the same model (same seed => same outputs)
    let st = tempfile::tempdir().unwrap();
    build(st.path(), DEFAULT_TEXT, &FixtureSpec { safetensors: true, ..Default::default() }).unwrap();
    assert!(st.path().join("model.safetensors").is_file() && !st.path().join("rust_model.ot").exists());
    let a = MarianTranslator::load(st.path(), greedy()).unwrap();
    let s = sentences();
    assert_eq!(a.translate(&s).unwrap(), load(greedy()).translate(&s).unwrap());

    let e = MarianTranslator::load(fixture(), MarianOptions { num_beams: 0, ..Default::default() }).err().unwrap();
    assert!(e.to_string().contains("invalid decoding options"), "{e}");
}

#[test]
fn cli_makes_a_fixture_and_eval_mt_reports_tokens_per_second() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let out = run(&["models", "make-marian-fixture", "--out", dir.to_str().unwrap(), "--seed", "7"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("random-weight Marian fixture"));
    let src = tmp.path().join("src.fr");
    let reference = tmp.path().join("ref.en");
    std::fs::write(&src, "Le convoi a été attaqué.\nDes drones ont survolé la région.\n").unwrap();
    std::fs::write(&reference, "The convoy was attacked.\nDrones flew over the region.\n").unwrap();
    let out = run(&[
        "eval",
        "mt",
        "--translator",
        "marian",
        "--marian-model",
        dir.to_str().unwrap(),
        "--beams",
        "2",
        "--max-length",
        "16",
        "--no-protect",
        "--src",
        src.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("output tokens/s") && stdout.contains("marian vigie/marian-fixture"), "{stdout}");
    assert!(stdout.trim_end().lines().last().unwrap().starts_with("chrF="), "{stdout}");

    // a folder that is not a model: exit 1 with the reason
    let out = run(&[
        "eval",
        "mt",
        "--translator",
        "marian",
        "--marian-model",
        tmp.path().to_str().unwrap(),
        "--src",
        src.to_str().unwrap(),
        "--ref",
        reference.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("config.json is missing"));
}
