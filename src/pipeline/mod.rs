//! The annotation pipeline: per-document [`Annotator`] and the streaming, parallel, resumable
//! executor [`run`].

pub mod annotator;
pub mod resume;
pub mod run;

pub use annotator::{AnnotateError, Annotator};
pub use run::{run, RunError, RunOptions, RunSummary};

use crate::domain::lexicon::{Lexicon, LexiconError};
use crate::ner::{EntityTagger, LexiconTagger};
use std::path::Path;
use std::sync::Arc;

/// The default annotator: lexicon tagger over the built-in lexicons, or those in `lexicon_dir`.
pub fn default_annotator(lexicon_dir: Option<&Path>) -> Result<Annotator, LexiconError> {
    let lex = match lexicon_dir {
        Some(d) => Lexicon::load_dir(d)?,
        None => Lexicon::builtin()?,
    };
    let tagger: Arc<dyn EntityTagger> = Arc::new(LexiconTagger::new(Arc::new(lex)));
    Ok(Annotator::new(vec![tagger]))
}
