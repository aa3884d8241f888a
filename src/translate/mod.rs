//! Translate stage: French → English behind one [`Translator`] trait.
//!
//! Implementations: [`marian::MarianTranslator`] (neural, rust-bert Marian/opus-mt from a local
//! folder) and [`apertium::ApertiumTranslator`] (rule-based, Debian packages, French → Spanish →
//! English). [`marian_fixture`] makes a tiny random-weight Marian folder for tests. Entities with a known English name can be protected from translation with
//! [`protect`]: they are replaced by placeholders the translator passes through, then restored.

pub mod apertium;
pub mod marian;
pub mod marian_fixture;
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

/// Which translator `summary.en` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TranslatorKind {
    /// Marian when a model folder is given, else Apertium when installed, else none.
    Auto,
    Marian,
    Apertium,
    None,
}

/// Builds the translator asked for. `Ok((None, why))` when there is none to use (auto with
/// nothing installed, or `none`); an explicit choice that cannot be built is an error.
pub fn choose(
    kind: TranslatorKind,
    marian_dir: Option<&std::path::Path>,
) -> Result<(Option<std::sync::Arc<dyn Translator>>, String), TranslateError> {
    use std::sync::Arc;
    let marian = |dir: &std::path::Path| -> Result<Arc<dyn Translator>, TranslateError> {
        Ok(Arc::new(marian::MarianTranslator::load(dir, Default::default())?))
    };
    let apertium = || -> Result<Arc<dyn Translator>, TranslateError> {
        Ok(Arc::new(apertium::ApertiumTranslator::new(Default::default())?))
    };
    match kind {
        TranslatorKind::None => Ok((None, "disabled with --translator none".into())),
        TranslatorKind::Marian => {
            let dir = marian_dir.ok_or_else(|| {
                TranslateError::Unavailable(
                    "--translator marian needs --marian-model DIR (see scripts/fetch-marian.sh)".into(),
                )
            })?;
            Ok((Some(marian(dir)?), String::new()))
        }
        TranslatorKind::Apertium => Ok((Some(apertium()?), String::new())),
        TranslatorKind::Auto => {
            if let Some(dir) = marian_dir {
                return Ok((Some(marian(dir)?), String::new()));
            }
            match apertium() {
                Ok(t) => Ok((Some(t), String::new())),
                Err(e) => Ok((None, format!("no Marian model given and Apertium unavailable: {e}"))),
            }
        }
    }
}

/// What entity protection did over a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProtectStats {
    /// Entities replaced by placeholders.
    pub protected: usize,
    /// Placeholders found again in the translation and replaced by the English name.
    pub restored: usize,
}

/// What translation needs from its caller: the entities of a French sentence that have a known
/// English form, to protect them (see [`protect`]). The annotation pipeline implements it.
pub trait EntityFinder {
    fn protections(&self, sentence: &str) -> Vec<protect::Protection>;
}

/// Translates French sentences; with a `finder`, entities it finds that have a known English
/// form are protected (see [`protect`]).
pub fn translate_sentences(
    tr: &dyn Translator,
    sentences: &[String],
    finder: Option<&dyn EntityFinder>,
) -> Result<(Vec<String>, ProtectStats), TranslateError> {
    let Some(finder) = finder else {
        return Ok((tr.translate(sentences)?, ProtectStats::default()));
    };
    let mut stats = ProtectStats::default();
    let prepared: Vec<protect::Protected> = sentences
        .iter()
        .map(|s| {
            let spans = finder.protections(s);
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
