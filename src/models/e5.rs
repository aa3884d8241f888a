//! The imported multilingual-e5-small encoder, run with rust-bert's `BertModel` on libtorch (CPU).
//!
//! Sentence embeddings follow the model card: prefix the text (`"passage: "` or `"query: "`),
//! mean-pool the last hidden states over the attention mask, L2-normalise.

use std::path::{Path, PathBuf};

use super::int8::{silence_stderr, EncoderRole, Int8Encoder, Precision, Resolved};
use crate::ner::model::read_dims;
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use tch::{nn, Device, Kind, Tensor};
use thiserror::Error;
use tokenizers::Tokenizer;

/// Longest input fed to the encoder, special tokens included; longer texts are truncated.
pub const MAX_TOKENS: usize = 512;
/// Texts per forward pass.
const BATCH: usize = 16;

/// Why loading or running the encoder failed.
#[derive(Debug, Error)]
pub enum E5Error {
    #[error("{path}: missing; run `vigie models import-e5 PATH --out {dir}` first", dir = .dir.display())]
    Missing { path: PathBuf, dir: PathBuf },
    #[error("{path}: {msg}")]
    Load { path: PathBuf, msg: String },
    #[error("tokenizer: {0}")]
    Tokenize(String),
    #[error("libtorch: {0}")]
    Torch(String),
}

/// A loaded encoder: rust-bert BERT weights + the `tokenizers` tokenizer.
enum Net {
    Fp32 { model: BertModel<BertEmbeddings>, _vs: nn::VarStore },
    Int8(Int8Encoder),
}

pub struct E5Encoder {
    net: Net,
    precision: Resolved,
    tokenizer: Tokenizer,
    unk: u32,
    pad: u32,
    max_tokens: usize,
}

impl E5Encoder {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from an imported folder, at
    /// f32 (rust-bert's `BertModel` as is).
    pub fn load(dir: &Path) -> Result<E5Encoder, E5Error> {
        Self::load_with(dir, Precision::Fp32)
    }

    /// [`E5Encoder::load`] at a chosen precision ([`Precision::Int8`]: int8 projections).
    /// [`Precision::Auto`] is resolved for this CPU ([`Precision::resolve`]).
    pub fn load_with(dir: &Path, precision: Precision) -> Result<E5Encoder, E5Error> {
        let precision = precision
            .resolve(EncoderRole::Summary)
            .map_err(|e| E5Error::Load { path: dir.to_path_buf(), msg: e.to_string() })?;
        let file = |name: &str| -> Result<PathBuf, E5Error> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(E5Error::Missing { path: p, dir: dir.to_path_buf() })
            }
        };
        let (config_path, weights, tok_path) =
            (file("config.json")?, file("model.safetensors")?, file("tokenizer.json")?);
        let config = read_config(&config_path)?;
        let extra: serde_json::Value =
            std::fs::read_to_string(&config_path).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
        let id = |key: &str, default: u32| extra[key].as_u64().map_or(default, |v| v as u32);
        let (unk, pad) = (id("unk_token_id", 3), id("pad_token_id", 1));

        let mut vs = nn::VarStore::new(Device::Cpu);
        let model = BertModel::<BertEmbeddings>::new_with_optional_pooler(vs.root(), &config, false);
        vs.load(&weights).map_err(|e| E5Error::Load { path: weights.clone(), msg: e.to_string() })?;
        vs.freeze();
        let net = match precision.precision {
            Precision::Fp32 | Precision::Auto => Net::Fp32 { model, _vs: vs },
            Precision::Int8 => {
                let load_err = |msg: String| E5Error::Load { path: config_path.clone(), msg };
                let dims = read_dims(&extra).map_err(load_err)?;
                let vars = vs.variables();
                let q = tch::no_grad(|| silence_stderr(|| Int8Encoder::from_variables(&vars, dims)))
                    .map_err(|msg| E5Error::Load { path: weights.clone(), msg })?;
                drop((model, vars, vs));
                Net::Int8(q)
            }
        };
        let tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| E5Error::Load { path: tok_path.clone(), msg: e.to_string() })?;
        let max_tokens = MAX_TOKENS.min(config.max_position_embeddings as usize);
        Ok(E5Encoder { net, precision, tokenizer, unk, pad, max_tokens })
    }

    /// The precision the encoder runs at (`Fp32` or `Int8`).
    pub fn precision(&self) -> Precision {
        self.precision.precision
    }

    /// The precision with the reason it was chosen and the CPU's int8 path.
    pub fn precision_info(&self) -> &Resolved {
        &self.precision
    }

    /// Token ids as the encoder sees them: `<s> … </s>`, truncated to the maximum length.
    ///
    /// `tokenizers` fuses a run of unknown characters into one `<unk>`; the E5S1 tokenizer (and so
    /// the model) has one `<unk>` per character, which is restored here from the token text.
    pub fn token_ids(&self, text: &str) -> Result<Vec<i64>, E5Error> {
        let enc = self.tokenizer.encode(text, true).map_err(|e| E5Error::Tokenize(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.get_ids().len());
        for (&id, tok) in enc.get_ids().iter().zip(enc.get_tokens()) {
            let n = if id == self.unk { tok.chars().count().max(1) } else { 1 };
            ids.extend(std::iter::repeat(id as i64).take(n));
        }
        if ids.len() > self.max_tokens {
            let last = *ids.last().expect("non-empty");
            ids.truncate(self.max_tokens - 1);
            ids.push(last);
        }
        Ok(ids)
    }

    /// L2-normalised mean-pooled embeddings of `prefix + text` for each text, in order.
    pub fn embed(&self, texts: &[&str], prefix: &str) -> Result<Vec<Vec<f32>>, E5Error> {
        let ids: Vec<Vec<i64>> =
            texts.iter().map(|t| self.token_ids(&format!("{prefix}{t}"))).collect::<Result<_, _>>()?;
        // batch texts of similar length together to limit padding
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(BATCH) {
            let vecs = self.forward(chunk.iter().map(|&i| ids[i].as_slice()).collect())?;
            for (&i, v) in chunk.iter().zip(vecs) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn forward(&self, batch: Vec<&[i64]>) -> Result<Vec<Vec<f32>>, E5Error> {
        let len = batch.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut flat_ids = Vec::with_capacity(batch.len() * len);
        let mut flat_mask = Vec::with_capacity(batch.len() * len);
        for s in &batch {
            flat_ids.extend_from_slice(s);
            flat_ids.extend(std::iter::repeat(self.pad as i64).take(len - s.len()));
            flat_mask.extend(std::iter::repeat(1i64).take(s.len()));
            flat_mask.extend(std::iter::repeat(0i64).take(len - s.len()));
        }
        let shape = [batch.len() as i64, len as i64];
        tch::no_grad(|| {
            let input = Tensor::from_slice(&flat_ids).view(shape);
            let mask = Tensor::from_slice(&flat_mask).view(shape);
            let hidden = match &self.net {
                Net::Fp32 { model, .. } => {
                    model
                        .forward_t(Some(&input), Some(&mask), None, None, None, None, None, false)
                        .map_err(|e| E5Error::Torch(e.to_string()))?
                        .hidden_state
                }
                Net::Int8(q) => q.forward(&input, &mask).map_err(E5Error::Torch)?,
            };
            let m = mask.unsqueeze(-1).to_kind(Kind::Float);
            let summed = (hidden * &m).sum_dim_intlist(1, false, Kind::Float);
            let counts = m.sum_dim_intlist(1, false, Kind::Float).clamp_min(1.0);
            let mean = summed / counts;
            let norm = mean.norm_scalaropt_dim(2.0, [1], true).clamp_min(1e-12);
            let unit = (mean / norm).contiguous();
            let rows = unit.size()[0] as usize;
            let dim = unit.size()[1] as usize;
            let mut values = vec![0f32; rows * dim];
            unit.f_copy_data(&mut values, rows * dim).map_err(|e| E5Error::Torch(e.to_string()))?;
            Ok(values.chunks(dim).map(|c| c.to_vec()).collect())
        })
    }
}

fn read_config(path: &Path) -> Result<BertConfig, E5Error> {
    // `Config::from_file` panics on a bad file; parse it here to keep errors as values.
    let text =
        std::fs::read_to_string(path).map_err(|e| E5Error::Load { path: path.to_path_buf(), msg: e.to_string() })?;
    serde_json::from_str::<BertConfig>(&text)
        .map_err(|e| E5Error::Load { path: path.to_path_buf(), msg: format!("not a BERT config: {e}") })
}
