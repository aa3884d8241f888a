//! Text stage: sentence segmentation and offset bookkeeping.
//!
//! ```
//! use vigie::text::{segment::segment, offsets::CharIndex};
//! let text = "Le FLA a attaqué à Anoumalane. L'armée a répliqué.";
//! let sentences = segment(text);
//! assert_eq!(sentences.len(), 2);
//! let idx = CharIndex::new(text);
//! assert_eq!(idx.char_range(sentences[1].clone()), 31..50);
//! ```

pub mod offsets;
pub mod sanitize;
pub mod segment;
