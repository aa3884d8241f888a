//! Evaluation of annotations against gold data.
//!
//! - [`mt`]: BLEU and chrF with sacreBLEU's definitions.
//! - [`ner`]: exact-span NER scoring (seqeval-style precision, recall and F1 per label and micro).

pub mod mt;
pub mod ner;
