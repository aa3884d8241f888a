//! Evaluation of annotations against gold data.
//!
//! - [`geo`]: geocoding accuracy@161 km, GeoNames-id accuracy and error in km.
//! - [`mt`]: BLEU and chrF with sacreBLEU's definitions.
//! - [`ner`]: exact-span NER scoring (seqeval-style precision, recall and F1 per label and micro).
//! - [`summ`]: ROUGE-1/2/L F1 (`rouge-score` definitions, Unicode-aware lowercase tokens).

pub mod geo;
pub mod mt;
pub mod ner;
pub mod summ;
