//! Translate stage: French → English behind one [`Translator`] trait.
//!
//! Implementations: [`apertium::ApertiumTranslator`] (rule-based, Debian packages, French →
//! Spanish → English). Entities with a known English name can be protected from translation with
//! [`protect`]: they are replaced by placeholders the translator passes through, then restored.

pub mod apertium;
pub mod protect;

/// Errors of a translation backend.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("translator unavailable: {0}")]
    Unavailable(String),
    #[error("translator process failed: {0}")]
    Process(String),
    #[error("translator timed out after {0:?}")]
    Timeout(std::time::Duration),
}

/// A French → English sentence translator, shared by all workers.
pub trait Translator: Send + Sync {
    /// Identifier recorded in the output, e.g. `apertium fr-es-en 3.8.3`.
    fn id(&self) -> &str;
    /// Translates sentences (one output per input, same order). Implementations batch internally.
    fn translate(&self, sentences: &[String]) -> Result<Vec<String>, TranslateError>;
}

/// What entity protection did over a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtectStats {
    /// Entities replaced by placeholders.
    pub protected: usize,
    /// Placeholders found again in the translation and replaced by the English name.
    pub restored: usize,
}

/// Translates French sentences; with an `annotator`, entities it finds that have a known English
/// form are protected (see [`protect`]).
pub fn translate_sentences(
    tr: &dyn Translator,
    sentences: &[String],
    annotator: Option<&crate::pipeline::Annotator>,
) -> Result<(Vec<String>, ProtectStats), TranslateError> {
    let Some(annotator) = annotator else {
        return Ok((tr.translate(sentences)?, ProtectStats::default()));
    };
    let mut stats = ProtectStats::default();
    let prepared: Vec<protect::Protected> = sentences
        .iter()
        .map(|s| {
            let spans: Vec<protect::Protection> =
                annotator.entities(s).iter().filter_map(protect::protection_for).collect();
            stats.protected += spans.len();
            protect::protect(s, &spans)
        })
        .collect();
    let texts: Vec<String> = prepared.iter().map(|p| p.text.clone()).collect();
    let out = tr
        .translate(&texts)?
        .into_iter()
        .zip(&prepared)
        .map(|(t, p)| {
            let (s, n) = protect::restore(&t, p);
            stats.restored += n;
            s
        })
        .collect();
    Ok((out, stats))
}
