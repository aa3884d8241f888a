//! Property tests: offsets are right for any Unicode text.

use proptest::prelude::*;
use vigie::doc::{DocId, Document};
use vigie::pipeline::default_annotator;
use vigie::text::offsets::{byte_offset, char_offset, CharIndex};

fn pieces() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Front de libération de l'Azawad".to_string()),
        Just("FLA".to_string()),
        Just("d’Aguelhoc".to_string()),
        Just("l'armée malienne".to_string()),
        Just("mines artisanales".to_string()),
        Just("KIDAL".to_string()),
        Just("« drones »".to_string()),
        Just("M. Diallo.".to_string()),
        Just("…".to_string()),
        Just(". ".to_string()),
        Just("\u{a0}".to_string()),
        Just("\n\n".to_string()),
        Just("🇲🇱".to_string()),
        Just("e\u{301}".to_string()),
        "\\PC{0,12}",
        any::<char>().prop_map(|c| c.to_string()),
    ]
}

fn texts() -> impl Strategy<Value = String> {
    prop::collection::vec(pieces(), 0..24).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn char_index_agrees_with_naive(text in "\\PC{0,80}") {
        let idx = CharIndex::new(&text);
        for (b, _) in text.char_indices() {
            prop_assert_eq!(idx.char_of_byte(b), char_offset(&text, b));
            prop_assert_eq!(byte_offset(&text, idx.char_of_byte(b)), b);
        }
        prop_assert_eq!(idx.char_of_byte(text.len()), text.chars().count());
    }

    #[test]
    fn entity_and_sentence_offsets_hold(text in texts()) {
        prop_assume!(!text.trim().is_empty());
        let annotator = default_annotator(None).unwrap();
        let doc = Document { id: DocId::Str("p".into()), text: text.clone(), lang: None, meta: Default::default() };
        let out = annotator.annotate(doc).unwrap();
        let chars: Vec<char> = out.text.chars().collect();
        let mut last = 0;
        for e in &out.entities {
            prop_assert!(e.start >= last && e.start < e.end && e.end <= chars.len());
            prop_assert_eq!(chars[e.start..e.end].iter().collect::<String>(), e.text.clone());
            prop_assert_eq!(&out.text[e.start_byte..e.end_byte], e.text.as_str());
            prop_assert_eq!(e.text.trim(), e.text.as_str());
            last = e.end;
        }
        let mut last = 0;
        for s in &out.sentences {
            prop_assert!(s.start >= last && s.start < s.end && s.end <= chars.len());
            last = s.end;
        }
        // Every non-whitespace character is inside a sentence.
        let mut covered = vec![false; chars.len()];
        for s in &out.sentences { for c in &mut covered[s.start..s.end] { *c = true; } }
        for (i, ch) in chars.iter().enumerate() {
            prop_assert!(covered[i] || ch.is_whitespace(), "char {} {:?} outside sentences", i, ch);
        }
    }
}
