//! The token-classification network used for training: the imported BERT encoder (frozen,
//! exactly the weights `import-e5` wrote), LoRA adapters on every attention and feed-forward
//! projection, trainable biases and layer norms, and a linear BIO head.
//!
//! Only the trainable part lives in the `VarStore` (and so in `adapter.safetensors`); inference
//! merges it into a rust-bert `BertModel` (see `tagger.rs`), so the variable names of biases,
//! layer norms and the head are rust-bert's.

use std::collections::HashMap;
use tch::{nn, Kind, Tensor};

/// Encoder dimensions read from the base `config.json`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dims {
    pub hidden: i64,
    pub heads: i64,
    pub layers: i64,
    pub intermediate: i64,
    pub eps: f64,
    pub max_positions: i64,
}

/// LoRA settings: rank r, scaling alpha / r.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LoraSpec {
    pub rank: i64,
    pub alpha: f64,
}

impl Default for LoraSpec {
    fn default() -> Self {
        LoraSpec { rank: 16, alpha: 32.0 }
    }
}

impl LoraSpec {
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// The projections that carry adapters, as rust-bert names them under `encoder.layer.N.`.
pub const TARGETS: [&str; 6] = [
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
];
/// Layer norms under `encoder.layer.N.`.
const LAYER_NORMS: [&str; 2] = ["attention.output.LayerNorm", "output.LayerNorm"];

/// What training changes in the encoder's projections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TrainMode {
    /// Low-rank adapters `B·A` next to frozen weights (small files, slower to learn).
    #[default]
    Lora,
    /// The projection weights themselves; saved as int8 per-row-scaled differences from the base
    /// (about 21 MB for the 12 layers), embeddings stay frozen.
    Full,
}

struct Lin {
    w: Tensor,
    b: Tensor,
    lora: Option<(Tensor, Tensor)>,
    scale: f64,
}

impl Lin {
    fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.linear(&self.w, Some(&self.b));
        match &self.lora {
            Some((a, bb)) => y + x.matmul(&a.tr()).matmul(&bb.tr()) * self.scale,
            None => y,
        }
    }
}

struct Norm {
    w: Tensor,
    b: Tensor,
}

struct Layer {
    q: Lin,
    k: Lin,
    v: Lin,
    o: Lin,
    ln1: Norm,
    inter: Lin,
    out: Lin,
    ln2: Norm,
}

/// Encoder + adapters + head.
pub struct Net {
    word: Tensor,
    pos: Tensor,
    typ: Tensor,
    emb_ln: Norm,
    layers: Vec<Layer>,
    cls_w: Tensor,
    cls_b: Tensor,
    dims: Dims,
    pub dropout: f64,
}

fn base_tensor(base: &HashMap<String, Tensor>, name: &str) -> Result<Tensor, String> {
    base.get(name).map(|t| t.shallow_clone()).ok_or_else(|| format!("base weights lack {name}"))
}

impl Net {
    /// Builds the network; trainable variables are created in `vs` (adapters B = 0, so the
    /// encoder starts exactly as imported; head ~ N(0, 0.02)).
    pub fn new(
        vs: &nn::VarStore,
        base: &HashMap<String, Tensor>,
        dims: Dims,
        lora: LoraSpec,
        mode: TrainMode,
        n_tags: i64,
    ) -> Result<Net, String> {
        let root = vs.root();
        let at = |prefix: &str| prefix.split('.').fold(vs.root(), |p, part| p.sub(part));
        let norm = |prefix: &str| -> Result<Norm, String> {
            let p = at(prefix);
            Ok(Norm {
                w: p.var_copy("weight", &base_tensor(base, &format!("{prefix}.weight"))?),
                b: p.var_copy("bias", &base_tensor(base, &format!("{prefix}.bias"))?),
            })
        };
        let lin = |prefix: &str| -> Result<Lin, String> {
            let w = base_tensor(base, &format!("{prefix}.weight"))?;
            let (out_f, in_f) = (w.size()[0], w.size()[1]);
            let p = at(prefix);
            let bound = 1.0 / (in_f as f64).sqrt();
            let b = p.var_copy("bias", &base_tensor(base, &format!("{prefix}.bias"))?);
            Ok(match mode {
                TrainMode::Lora => Lin {
                    b,
                    lora: Some((
                        p.var("lora_a", &[lora.rank, in_f], nn::Init::Uniform { lo: -bound, up: bound }),
                        p.var("lora_b", &[out_f, lora.rank], nn::Init::Const(0.0)),
                    )),
                    w,
                    scale: lora.scale(),
                },
                TrainMode::Full => Lin { w: p.var_copy("weight", &w), b, lora: None, scale: 0.0 },
            })
        };
        let mut layers = Vec::new();
        for i in 0..dims.layers {
            let p = |s: &str| format!("encoder.layer.{i}.{s}");
            layers.push(Layer {
                q: lin(&p(TARGETS[0]))?,
                k: lin(&p(TARGETS[1]))?,
                v: lin(&p(TARGETS[2]))?,
                o: lin(&p(TARGETS[3]))?,
                ln1: norm(&p(LAYER_NORMS[0]))?,
                inter: lin(&p(TARGETS[4]))?,
                out: lin(&p(TARGETS[5]))?,
                ln2: norm(&p(LAYER_NORMS[1]))?,
            });
        }
        let head = root.sub("classifier");
        Ok(Net {
            word: base_tensor(base, "embeddings.word_embeddings.weight")?,
            pos: base_tensor(base, "embeddings.position_embeddings.weight")?,
            typ: base_tensor(base, "embeddings.token_type_embeddings.weight")?,
            emb_ln: norm("embeddings.LayerNorm")?,
            layers,
            cls_w: head.var("weight", &[n_tags, dims.hidden], nn::Init::Randn { mean: 0.0, stdev: 0.02 }),
            cls_b: head.var("bias", &[n_tags], nn::Init::Const(0.0)),
            dims,
            dropout: 0.1,
        })
    }

    fn ln(&self, x: &Tensor, n: &Norm) -> Tensor {
        x.layer_norm([self.dims.hidden], Some(&n.w), Some(&n.b), self.dims.eps, false)
    }

    /// Logits `[batch, len, tags]` for token ids and attention mask (`[batch, len]`, int64).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor, train: bool) -> Tensor {
        let (b, l) = ids.size2().expect("ids must be [batch, len]");
        let h = self.dims.hidden;
        let (nh, dh) = (self.dims.heads, self.dims.hidden / self.dims.heads);
        let p = if train { self.dropout } else { 0.0 };
        let words = self.word.index_select(0, &ids.view([-1])).view([b, l, h]);
        let x = words + self.pos.narrow(0, 0, l).unsqueeze(0) + self.typ.get(0);
        let mut x = self.ln(&x, &self.emb_ln).dropout(p, train);
        let add_mask = ((mask.to_kind(Kind::Float) - 1.0) * 1e9).view([b, 1, 1, l]);
        for layer in &self.layers {
            let heads = |t: Tensor| t.view([b, l, nh, dh]).transpose(1, 2);
            let q = heads(layer.q.forward(&x));
            let k = heads(layer.k.forward(&x));
            let v = heads(layer.v.forward(&x));
            let ctx = Tensor::scaled_dot_product_attention(&q, &k, &v, Some(&add_mask), p, false, None::<f64>);
            let ctx = ctx.transpose(1, 2).contiguous().view([b, l, h]);
            let a = layer.o.forward(&ctx).dropout(p, train);
            x = self.ln(&(a + &x), &layer.ln1);
            let f = layer.out.forward(&layer.inter.forward(&x).gelu("none")).dropout(p, train);
            x = self.ln(&(f + &x), &layer.ln2);
        }
        x.dropout(p, train).linear(&self.cls_w, Some(&self.cls_b))
    }
}

/// Reads encoder dimensions from a BERT `config.json`.
pub fn read_dims(config: &serde_json::Value) -> Result<Dims, String> {
    let int = |k: &str| config[k].as_i64().ok_or_else(|| format!("config.json lacks {k}"));
    let dims = Dims {
        hidden: int("hidden_size")?,
        heads: int("num_attention_heads")?,
        layers: int("num_hidden_layers")?,
        intermediate: int("intermediate_size")?,
        eps: config["layer_norm_eps"].as_f64().unwrap_or(1e-12),
        max_positions: int("max_position_embeddings")?,
    };
    if dims.heads <= 0 || dims.hidden % dims.heads != 0 {
        return Err(format!("hidden_size {} is not a multiple of num_attention_heads {}", dims.hidden, dims.heads));
    }
    Ok(dims)
}

/// The LoRA delta `B·A·scale` of a projection, for merging into the frozen weight.
pub fn lora_delta(a: &Tensor, b: &Tensor, scale: f64) -> Tensor {
    b.matmul(a) * scale
}

/// `trained - base` as int8 with one f32 scale per row (`delta ≈ q · scale[row]`).
pub fn quantize_delta(trained: &Tensor, base: &Tensor) -> (Tensor, Tensor) {
    tch::no_grad(|| {
        let d = trained.detach() - base;
        let scale = d.abs().amax([1], true).clamp_min(1e-12) / 127.0;
        let q = (&d / &scale).round().clamp(-127.0, 127.0).to_kind(Kind::Int8);
        (q, scale.squeeze_dim(1).contiguous())
    })
}

/// The delta of [`quantize_delta`] back in f32.
pub fn dequantize_delta(q: &Tensor, scale: &Tensor) -> Tensor {
    q.to_kind(Kind::Float) * scale.unsqueeze(1)
}
