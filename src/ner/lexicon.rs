//! Lexicon tagger: exact (case/accent/elision-aware) matches of the domain lexicons.

use super::{EntityTagger, NerError, Span, TagInput};
use crate::doc::Source;
use crate::domain::lexicon::Lexicon;
use std::sync::Arc;

/// Tags armed groups, weapons and places listed in the lexicons (`source: "lexicon"`, score 1.0).
///
/// ```
/// use vigie::domain::lexicon::Lexicon;
/// use vigie::ner::{EntityTagger, LexiconTagger, TagInput};
/// let tagger = LexiconTagger::new(std::sync::Arc::new(Lexicon::builtin().unwrap()));
/// let text = "Le FLA a attaqué près d'Aguelhoc.";
/// let spans = tagger.tag(TagInput { text, sentences: &[0..text.len()] }).unwrap();
/// let found: Vec<&str> = spans.iter().map(|s| &text[s.start_byte..s.end_byte]).collect();
/// assert_eq!(found, ["FLA", "Aguelhoc"]);
/// ```
pub struct LexiconTagger {
    lexicon: Arc<Lexicon>,
}

impl LexiconTagger {
    pub fn new(lexicon: Arc<Lexicon>) -> Self {
        LexiconTagger { lexicon }
    }
}

impl EntityTagger for LexiconTagger {
    fn name(&self) -> &str {
        "lexicon"
    }

    fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": "lexicon",
            "entries": self.lexicon.len(),
            "fingerprint": self.lexicon.fingerprint(),
        })
    }

    fn tag(&self, input: TagInput<'_>) -> Result<Vec<Span>, NerError> {
        Ok(self
            .lexicon
            .find(input.text)
            .into_iter()
            .map(|m| Span {
                start_byte: m.start_byte,
                end_byte: m.end_byte,
                label: m.label,
                score: 1.0,
                source: Source::Lexicon,
                canonical: Some(m.canonical),
            })
            .collect())
    }
}
