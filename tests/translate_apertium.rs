//! The Apertium backend: batching, alignment, entity protection, errors.

use vigie::translate::apertium::{ApertiumConfig, ApertiumTranslator};
use vigie::translate::{translate_sentences, TranslateError, Translator};

fn translator() -> Option<ApertiumTranslator> {
    match ApertiumTranslator::new(ApertiumConfig::default()) {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("SKIP: {e}");
            None
        }
    }
}

fn s(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

#[test]
fn translates_in_batches_and_keeps_alignment() {
    let Some(tr) = translator() else { return };
    assert!(tr.id().starts_with("apertium fr-es-en "));
    let src = s(&["Le convoi a été attaqué jeudi.", "", "Il y a eu\n\ndeux attaques.", "Merci."]);
    let out = tr.translate(&src).unwrap();
    assert_eq!(out.len(), 4);
    assert!(out[0].contains("convoy") && out[0].contains("attacked"), "{out:?}");
    assert_eq!(out[1], "", "empty in, empty out");
    assert!(out[2].contains("two") && !out[2].contains('\n'), "{out:?}");
    // Many sentences, several batches, still aligned one to one.
    let many: Vec<String> = (0..600).map(|i| format!("Phrase numéro {i}.")).collect();
    let small = ApertiumTranslator::new(ApertiumConfig { batch_chars: 2_000, ..Default::default() }).unwrap();
    let out = small.translate(&many).unwrap();
    assert_eq!(out.len(), 600);
    for (i, o) in out.iter().enumerate() {
        assert!(o.contains(&i.to_string()), "line {i}: {o}");
    }
}

#[test]
fn protected_entities_come_out_with_their_english_names() {
    let Some(tr) = translator() else { return };
    let annotator = vigie::pipeline::default_annotator(None).unwrap();
    let src = s(&["Le Front de libération de l'Azawad a attaqué les FAMa avec des avions de chasse près d'Aguelhoc."]);
    let (plain, _) = translate_sentences(&tr, &src, None).unwrap();
    let (prot, stats) = translate_sentences(&tr, &src, Some(&annotator)).unwrap();
    assert!(!plain[0].contains("Azawad Liberation Front"), "{plain:?}");
    assert!(prot[0].contains("Azawad Liberation Front"), "{prot:?}");
    assert!(prot[0].contains("FAMa") && prot[0].contains("fighter jets"), "{prot:?}");
    assert_eq!(stats.protected, stats.restored);
    assert!(stats.protected >= 4, "{stats:?}");
}

#[test]
fn missing_modes_are_a_clear_error() {
    let cfg = ApertiumConfig { modes: vec!["fr-xx".into()], ..Default::default() };
    match ApertiumTranslator::new(cfg) {
        Err(TranslateError::Unavailable(m)) => assert!(m.contains("fr-xx") || m.contains("cannot run"), "{m}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a missing mode must be refused"),
    }
    let cfg = ApertiumConfig { program: "/nonexistent/apertium".into(), ..Default::default() };
    assert!(
        matches!(ApertiumTranslator::new(cfg), Err(TranslateError::Unavailable(m)) if m.contains("apertium-fr-es"))
    );
}
