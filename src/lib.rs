//! vigie: annotation pipeline for French-language conflict news.
//!
//! Stages, each a module: [`ingest`] → [`text`] (segmentation, offsets) → [`ner`] (entity taggers)
//! → [`domain`] (lexicons, canonical identities) → [`emit`] (JSONL), driven by [`pipeline`]; the
//! [`cli`] module is the thin command-line layer.
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
pub mod ingest;
pub mod ner;
pub mod pipeline;
pub mod report;
pub mod text;
