//! Int8 inference encoder: the same BERT forward pass as rust-bert's `BertModel`, with every
//! projection (query, key and value fused, attention output, feed-forward in and out) run through
//! fbgemm's int8 GEMM: weights int8, activations quantised to uint8 per call from their own
//! min/max (libtorch's dynamic quantisation).
//!
//! The feed-forward output projection reads the GELU output, which is skewed: most values are
//! within ±1 and a few are much larger, so one uint8 scale per call would give the bulk a coarse
//! step. So its input is split at ±[`SPLIT_AT`]: the clamped bulk and the (mostly zero)
//! remainder go through two int8 GEMMs with their own scales, and the results are added (tag
//! agreement with f32 on the conflict dev paragraphs 0.995, against 0.990 with one scale, at
//! about the same speed).
//!
//! Weights are quantised symmetrically **per output row**: fbgemm's kernel takes one scale per
//! matrix, so each row is divided by its own scale before quantisation (every row then spans
//! the full int8 range under a common scale of 1) and the rows' scales are applied to the
//! kernel's output, with the bias folded in. Embeddings, layer norms, attention and the head
//! stay f32.
//!
//! Built from an f32 `BertModel`'s variables (after the NER model's adapters are merged), so it
//! computes what that model computes up to quantisation error; `tests/ner_model.rs` checks the
//! NER tags agree and `tests/e5_import.rs` the E5 sentence embeddings.

use crate::ner::model::{Dims, TARGETS};
use std::collections::HashMap;
use tch::{Kind, Tensor};

/// Numeric precision of a BERT encoder's projections at inference (the NER model and the
/// summaries' E5 encoder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// f32 everywhere: rust-bert's `BertModel`.
    Fp32,
    /// int8 weights and dynamically quantised activations (fbgemm) in every projection, the
    /// feed-forward output's input split in two ranges; embeddings, norms, attention and head
    /// stay f32. See the module docs.
    #[default]
    Int8,
}

impl Precision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }
}

/// Where the feed-forward output's input is split (see the module docs); 0.5, 1 and 4 gave the
/// same agreement on the conflict dev paragraphs.
pub const SPLIT_AT: f64 = 1.0;

/// One projection `y = x·Wᵀ + b` with int8 weights.
struct QLinear {
    /// int8 `[out, in]`, each row scaled to use the full range.
    q: Tensor,
    /// fbgemm's packed copy of `q`.
    packed: Tensor,
    /// int32 row sums of `q` (fbgemm's column offsets for a zero point of 0).
    col_offsets: Tensor,
    /// f32 per-row scales `[out]` and the bias divided by them.
    row_scale: Tensor,
    bias_scaled: Tensor,
}

impl QLinear {
    fn new(w: &Tensor, b: &Tensor) -> Result<QLinear, String> {
        let (out_f, in_f) = w.size2().map_err(|e| e.to_string())?;
        if b.size() != [out_f] {
            return Err(format!("bias shape {:?} for weight [{out_f}, {in_f}]", b.size()));
        }
        let w = w.to_kind(Kind::Float).contiguous();
        let row_scale = w.abs().amax([1], false).clamp_min(1e-12) / 127.0;
        let q = (&w / row_scale.unsqueeze(1)).round().clamp(-127.0, 127.0).to_kind(Kind::Int8).contiguous();
        let col_offsets = q.to_kind(Kind::Int).sum_dim_intlist(&[1i64][..], false, Kind::Int).contiguous();
        let packed = q.f_fbgemm_pack_quantized_matrix().map_err(|e| format!("fbgemm pack: {e}"))?;
        let bias_scaled = (b.to_kind(Kind::Float) / &row_scale).contiguous();
        Ok(QLinear { q, packed, col_offsets, row_scale, bias_scaled })
    }

    /// `x·qᵀ + bias/row_scale`, before the row scales.
    fn gemm(&self, x: &Tensor, bias_scaled: &Tensor) -> Result<Tensor, tch::TchError> {
        x.contiguous().f_fbgemm_linear_int8_weight_fp32_activation(
            &self.q,
            &self.packed,
            &self.col_offsets,
            tch::Scalar::float(1.0),
            tch::Scalar::int(0),
            bias_scaled,
        )
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, tch::TchError> {
        Ok(self.gemm(x, &self.bias_scaled)? * &self.row_scale)
    }

    /// [`QLinear::forward`] with `x` split at ±`at` into two GEMMs (module docs).
    fn forward_split(&self, x: &Tensor, at: f64) -> Result<Tensor, tch::TchError> {
        let bulk = x.clamp(-at, at);
        let rest = x - &bulk;
        let y = self.gemm(&bulk, &self.bias_scaled)? + self.gemm(&rest, &self.bias_scaled.zeros_like())?;
        Ok(y * &self.row_scale)
    }
}

struct Norm {
    w: Tensor,
    b: Tensor,
}

struct Layer {
    /// query, key and value fused into one `[3·hidden, hidden]` projection.
    qkv: QLinear,
    o: QLinear,
    ln1: Norm,
    inter: QLinear,
    out: QLinear,
    ln2: Norm,
}

/// The encoder with int8 projections; `forward` returns the last hidden states.
pub struct Int8Encoder {
    word: Tensor,
    pos: Tensor,
    typ: Tensor,
    emb_ln: Norm,
    layers: Vec<Layer>,
    dims: Dims,
}

impl Int8Encoder {
    /// Builds the encoder from rust-bert variable names (`embeddings.*`, `encoder.layer.N.*`).
    pub fn from_variables(vars: &HashMap<String, Tensor>, dims: Dims) -> Result<Int8Encoder, String> {
        let get = |name: &str| {
            vars.get(name).map(|t| t.detach().shallow_clone()).ok_or_else(|| format!("encoder lacks {name}"))
        };
        let norm = |p: &str| -> Result<Norm, String> {
            Ok(Norm { w: get(&format!("{p}.weight"))?, b: get(&format!("{p}.bias"))? })
        };
        let lin = |p: &str| -> Result<QLinear, String> {
            QLinear::new(&get(&format!("{p}.weight"))?, &get(&format!("{p}.bias"))?).map_err(|e| format!("{p}: {e}"))
        };
        let mut layers = Vec::with_capacity(dims.layers as usize);
        for i in 0..dims.layers {
            let p = |s: &str| format!("encoder.layer.{i}.{s}");
            let cat = |suffix: &str| -> Result<Tensor, String> {
                let parts = TARGETS[..3].iter().map(|t| get(&format!("{}.{suffix}", p(t)))).collect::<Result<Vec<_>, _>>()?;
                Ok(Tensor::cat(&parts, 0))
            };
            layers.push(Layer {
                qkv: QLinear::new(&cat("weight")?, &cat("bias")?).map_err(|e| format!("{}: {e}", p("attention.self")))?,
                o: lin(&p(TARGETS[3]))?,
                ln1: norm(&p("attention.output.LayerNorm"))?,
                inter: lin(&p(TARGETS[4]))?,
                out: lin(&p(TARGETS[5]))?,
                ln2: norm(&p("output.LayerNorm"))?,
            });
        }
        Ok(Int8Encoder {
            word: get("embeddings.word_embeddings.weight")?,
            pos: get("embeddings.position_embeddings.weight")?,
            typ: get("embeddings.token_type_embeddings.weight")?,
            emb_ln: norm("embeddings.LayerNorm")?,
            layers,
            dims,
        })
    }

    fn ln(&self, x: &Tensor, n: &Norm) -> Tensor {
        x.layer_norm([self.dims.hidden], Some(&n.w), Some(&n.b), self.dims.eps, false)
    }

    /// Hidden states `[batch, len, hidden]` for token ids and attention mask (`[batch, len]`,
    /// int64, 1 = token). Call under `tch::no_grad`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor, String> {
        // libtorch warns once per process that the fbgemm entry points are deprecated (they are
        // still the only int8 GEMM tch exposes); the first call runs with stderr silenced.
        static WARM: std::sync::Once = std::sync::Once::new();
        let mut first = None;
        WARM.call_once(|| first = Some(silence_stderr(|| self.forward_inner(ids, mask))));
        match first {
            Some(r) => r,
            None => self.forward_inner(ids, mask),
        }
    }

    fn forward_inner(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor, String> {
        let (b, l) = ids.size2().map_err(|e| format!("ids must be [batch, len]: {e}"))?;
        if l > self.dims.max_positions {
            return Err(format!("{l} tokens exceed the encoder's {} positions", self.dims.max_positions));
        }
        let err = |e: tch::TchError| format!("int8 projection: {e}");
        let h = self.dims.hidden;
        let (nh, dh) = (self.dims.heads, self.dims.hidden / self.dims.heads);
        let words = self.word.index_select(0, &ids.view([-1])).view([b, l, h]);
        let x = words + self.pos.narrow(0, 0, l).unsqueeze(0) + self.typ.get(0);
        let mut x = self.ln(&x, &self.emb_ln);
        let add_mask = ((mask.to_kind(Kind::Float) - 1.0) * 1e9).view([b, 1, 1, l]);
        for layer in &self.layers {
            // [b, l, 3h] → [3, b, nh, l, dh]
            let qkv = layer.qkv.forward(&x).map_err(err)?.view([b, l, 3, nh, dh]).permute([2, 0, 3, 1, 4]);
            let (q, k, v) = (qkv.get(0), qkv.get(1), qkv.get(2));
            let ctx = Tensor::scaled_dot_product_attention(&q, &k, &v, Some(&add_mask), 0.0, false, None::<f64>);
            let ctx = ctx.transpose(1, 2).contiguous().view([b, l, h]);
            x = self.ln(&(layer.o.forward(&ctx).map_err(err)? + &x), &layer.ln1);
            let g = layer.inter.forward(&x).map_err(err)?.gelu("none");
            let f = layer.out.forward_split(&g, SPLIT_AT).map_err(err)?;
            x = self.ln(&(f + &x), &layer.ln2);
        }
        Ok(x)
    }
}

/// Runs `f` with file descriptor 2 pointed at /dev/null (used only around libtorch calls that
/// print deprecation notices; errors are returned as values, not printed).
pub(crate) fn silence_stderr<T>(f: impl FnOnce() -> T) -> T {
    use std::os::fd::AsRawFd;
    let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return f();
    };
    // SAFETY: plain descriptor calls: 2 is duplicated, replaced by /dev/null and restored from
    // the duplicate; no Rust object owns descriptor 2.
    let saved = unsafe { libc::dup(2) };
    if saved < 0 {
        return f();
    }
    unsafe { libc::dup2(null.as_raw_fd(), 2) };
    let out = f();
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
    out
}
