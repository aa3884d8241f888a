//! The annotation pipeline: per-document [`Annotator`] and the streaming, parallel, resumable
//! executor [`run`].

pub mod annotator;
pub mod resume;
pub mod run;
pub mod summary;

pub use annotator::{AnnotateError, Annotator};
pub use run::{run, RunError, RunOptions, RunSummary};

use crate::domain::lexicon::{Lexicon, LexiconError};
use crate::ner::{EntityTagger, LexiconTagger};
use std::path::Path;
use std::sync::Arc;

/// The default annotator: lexicon tagger over the built-in lexicons, or those in `lexicon_dir`.
pub fn default_annotator(lexicon_dir: Option<&Path>) -> Result<Annotator, LexiconError> {
    Ok(Annotator::new(vec![lexicon_tagger(lexicon_dir)?]))
}

fn lexicon_tagger(lexicon_dir: Option<&Path>) -> Result<Arc<dyn EntityTagger>, LexiconError> {
    let lex = match lexicon_dir {
        Some(d) => Lexicon::load_dir(d)?,
        None => Lexicon::builtin()?,
    };
    Ok(Arc::new(LexiconTagger::new(Arc::new(lex))))
}

/// Why an annotator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("lexicons")]
    Lexicon(#[from] LexiconError),
    #[error("NER model")]
    Model(#[from] crate::ner::model::ModelError),
}

/// The lexicon tagger and, when `ner_model` is given, the transformer NER model after it
/// (lexicon spans, which carry canonical identities, win where the two overlap).
pub fn annotator_with_model(
    lexicon_dir: Option<&Path>,
    ner_model: Option<&Path>,
    ner_base: Option<&Path>,
    precision: crate::ner::model::Precision,
) -> Result<Annotator, BuildError> {
    let mut taggers = vec![lexicon_tagger(lexicon_dir)?];
    if let Some(dir) = ner_model {
        let model = crate::ner::model::NerModel::load_with(dir, ner_base, precision)?;
        taggers.push(Arc::new(crate::ner::model::ModelTagger::new(model)));
    }
    Ok(Annotator::new(taggers))
}
