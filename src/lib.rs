//! vigie: annotation pipeline for French-language conflict news.
//!
//! Stages, each a module: [`ingest`] → [`text`] (segmentation, offsets) → [`ner`] (entity taggers)
//! → [`domain`] (lexicons, canonical identities) → [`emit`] (JSONL), driven by [`pipeline`];
//! [`export`] turns the JSONL into reports and exchange formats, [`eval`] scores it against gold
//! data; [`queue`] spreads the work over NATS JetStream workers; the [`cli`] module is the thin
//! command-line layer.
//!
//! ```
//! use vigie::doc::{DocId, Document, Label};
//! let annotator = vigie::pipeline::default_annotator(None).unwrap();
//! let doc = Document {
//!     id: DocId::Str("a1".into()),
//!     text: "Le FLA a tendu une embuscade près d'Aguelhoc.".into(),
//!     lang: None,
//!     meta: Default::default(),
//! };
//! let out = annotator.annotate(doc).unwrap();
//! let fla = &out.entities[0];
//! assert_eq!((fla.text.as_str(), fla.label, fla.start, fla.end), ("FLA", Label::ArmedGroup, 3, 6));
//! ```

pub mod cli;
pub mod corpus;
pub mod doc;
pub mod domain;
pub mod emit;
pub mod eval;
pub mod export;
pub mod geo;
pub mod ingest;
pub mod models;
pub mod ner;
pub mod pipeline;
pub mod queue;
pub mod report;
pub mod summarize;
pub mod text;
pub mod translate;
