//! The annotation pipeline: [`Stage`]s chained into a [`Pipeline`] built from one
//! [`PipelineConfig`], and the streaming, parallel, resumable executor [`run`].
//!
//! ```text
//! Source (files, stdin, NATS) → Segment → Tag (lexicons, model) → Resolve → [Geo] → [Summarize → Translate] → Sink
//! ```

pub mod batcher;
pub mod chain;
pub mod config;
pub mod resume;
pub mod run;
pub mod stage;
pub mod stages;
pub mod summary;

pub use chain::Pipeline;
pub use config::{
    default_models_dir, BuildError, Built, GeoSettings, NerSettings, PipelineConfig, SummarySettings, SummaryVectors,
    DEFAULT_LEXICAL_WEIGHT,
};
pub use run::{run, RunError, RunOptions, RunSummary};
pub use stage::{AnnotateError, Item, Slot, Stage, StageKind};
pub use stages::SEGMENTER_VERSION;

use std::path::Path;

/// The lexicon-only pipeline over the built-in lexicons, or those in `lexicon_dir`.
pub fn default_annotator(lexicon_dir: Option<&Path>) -> Result<Pipeline, BuildError> {
    PipelineConfig { lexicons: lexicon_dir.map(Path::to_path_buf), ..PipelineConfig::fast() }.build()
}
