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

#[test]
fn unknown_french_words_go_through_the_catalan_fallback() {
    let Some(tr) = translator() else { return };
    if !tr.has_unknown_word_fallback() {
        eprintln!("SKIP: apertium-fra-cat / apertium-eng-cat not installed (scripts/setup.sh installs them)");
        return;
    }
    assert!(tr.id().contains("fra-cat-eng"), "{}", tr.id());
    let without = ApertiumTranslator::new(ApertiumConfig { unknown_word_modes: vec![], ..Default::default() }).unwrap();
    assert!(!without.has_unknown_word_fallback());
    // « amiante » and « caméléon » are not in apertium-fr-es; fra-cat + eng-cat know them
    let src = s(&[
        "Le bâtiment contient de l'amiante.",
        "Jhonathan Florez joue au caméléon près des pick-up et des low-cost.",
        "Un texte avec une *étoile et un #mot-dièse sur l'amiante.",
    ]);
    let plain = without.translate(&src).unwrap();
    let out = tr.translate(&src).unwrap();
    assert!(plain[0].contains("amiante") && out[0].contains("asbestos"), "{plain:?} {out:?}");
    assert!(out[1].contains("chameleon") && out[1].contains("Jhonathan Florez"), "{out:?}");
    // no placeholder or mark leaks; a batch with characters Apertium uses as marks is
    // translated without reading marks (the source's own * and # survive)
    for o in &out {
        assert!(!o.contains("Vw") && !o.contains("Vq"), "{o}");
    }
    // marks inside compounds (`*pick-*up`) do not leak either
    assert!(!out[0].contains(['*', '#']) && !out[1].contains(['*', '#']), "{out:?}");
    assert!(out[2].contains("*") && out[2].contains("#"), "{out:?}");
    let alone = tr.translate(&src[..2]).unwrap();
    assert_eq!(alone, out[..2].to_vec(), "the same sentences without the odd one");
}

#[test]
fn english_typography() {
    use vigie::translate::apertium::english_typography as t;
    assert_eq!(t("He said « no » to 2,5 % of 3 000 people."), "He said \"no\" to 2.5 % of 3,000 people.");
    assert_eq!(t("«\u{a0}Yes\u{a0}»"), "\"Yes\"");
    assert_eq!(t("1 250 000 and 12 345"), "1,250,000 and 12,345");
    // not thousands: a four-digit year then a number; lists stay
    assert_eq!(t("in 2012 100 people"), "in 2012 100 people");
    assert_eq!(t("articles 3, 4 and 5"), "articles 3, 4 and 5");
}
