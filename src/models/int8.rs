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
//! matrix, so each row is divided by its own scale before quantisation (the rows then share a
//! common scale of 1) and the rows' scales are applied to the kernel's output, with the bias
//! folded in. Embeddings, layer norms, attention and the head stay f32.
//!
//! **The same integers on every CPU.** fbgemm picks its kernel at run time ([`super::cpu`]).
//! On AVX-512 VNNI, `vpdpbusd` adds u8·i8 products in int32. On AVX2 and on AVX-512 without
//! VNNI, `vpmaddubsw` first adds each pair of neighbouring products (input columns k and k+1)
//! in **saturating int16**: with 8-bit weights 255·127·2 = 64,770 overflows it, and such
//! machines gave different (worse) results — the E5 test's nearest neighbours fell from 53/57
//! to 46/57. So a row's scale is set by its largest *pair* `|w_k| + |w_k+1|` (≤ 128 steps after
//! rounding, [`PAIR_BOUND`]) rather than its largest weight: no pair sum can saturate
//! (255·128 = 32,640 < 32,767), every path computes exact integer sums, and the outputs are the
//! same on VNNI, AVX-512 and AVX2 (`tests/e5_import.rs`, `tests/ner_model.rs`, BENCHMARKS.md
//! "int8 per CPU path"). The step is at most that of 7-bit weights and usually close to 8-bit's,
//! since a large weight rarely sits next to another.
//!
//! Built from an f32 `BertModel`'s variables (after the NER model's adapters are merged), so it
//! computes what that model computes up to quantisation error; `tests/ner_model.rs` checks the
//! NER tags agree and `tests/e5_import.rs` the E5 sentence embeddings.

use super::cpu::{self, Int8Path};
use crate::ner::model::{Dims, TARGETS};
use std::collections::HashMap;
use tch::{Kind, Tensor};

/// Numeric precision of a BERT encoder's projections at inference (the NER model and the
/// summaries' E5 encoder), as asked for; [`Precision::resolve`] turns [`Precision::Auto`] into
/// the precision that runs on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// int8 where this CPU's int8 path is measurably faster than fp32 at the same quality,
    /// fp32 elsewhere (see [`Precision::resolve`]).
    #[default]
    Auto,
    /// f32 everywhere: rust-bert's `BertModel`.
    Fp32,
    /// int8 weights and dynamically quantised activations (fbgemm) in every projection, the
    /// feed-forward output's input split in two ranges; embeddings, norms, attention and head
    /// stay f32. See the module docs. Needs AVX2 and FMA.
    Int8,
}

impl Precision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Precision::Auto => "auto",
            Precision::Fp32 => "fp32",
            Precision::Int8 => "int8",
        }
    }

    /// The precision that runs here for `role`, and why: an explicit `Fp32`/`Int8` is kept
    /// (`Int8` is an error on a CPU fbgemm cannot run on); `Auto` is decided by
    /// [`auto_choice`] from fbgemm's int8 path on this CPU ([`cpu::int8_path`]).
    pub fn resolve(self, role: EncoderRole) -> Result<Resolved, PrecisionError> {
        let path = cpu::int8_path();
        match self {
            Precision::Fp32 => Ok(Resolved { precision: Precision::Fp32, reason: "asked for".into(), int8_path: path }),
            Precision::Int8 if path == Int8Path::Unsupported => Err(PrecisionError::Int8Unsupported),
            Precision::Int8 => Ok(Resolved {
                precision: Precision::Int8,
                reason: format!("asked for (fbgemm {path} path)"),
                int8_path: path,
            }),
            Precision::Auto => {
                let (precision, reason) = auto_choice(role, path);
                Ok(Resolved { precision, reason: format!("auto: {reason}"), int8_path: path })
            }
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Precision {
    type Err = PrecisionError;
    fn from_str(s: &str) -> Result<Precision, PrecisionError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Precision::Auto),
            "fp32" => Ok(Precision::Fp32),
            "int8" => Ok(Precision::Int8),
            _ => Err(PrecisionError::Unknown(s.to_string())),
        }
    }
}

/// Why a precision cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrecisionError {
    #[error("unknown precision {0:?} (expected auto, fp32 or int8)")]
    Unknown(String),
    #[error("int8 needs fbgemm, which needs a CPU with AVX2 and FMA; this one has neither (use fp32 or auto)")]
    Int8Unsupported,
}

/// Which encoder a precision is chosen for (their measured int8 trade-offs differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderRole {
    /// The NER model's encoder.
    Ner,
    /// The summaries' E5 sentence encoder.
    Summary,
}

/// A precision decided for this machine.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolved {
    /// `Fp32` or `Int8`, never `Auto`.
    pub precision: Precision,
    /// Why, in words (for reports, `pipeline.models` and `vigie doctor`).
    pub reason: String,
    /// fbgemm's int8 path on this machine.
    pub int8_path: Int8Path,
}

/// [`Precision::Auto`]'s rule, from measurements on each kernel path (BENCHMARKS.md, "int8 per
/// CPU path"): int8 only where it is faster than fp32 at the same quality.
///
/// NER: since weights are pair-bounded, int8 computes the same integers on every fbgemm path,
/// so quality is the same everywhere (WikiNEuRal test 0.923–0.925 on all paths); it was faster
/// than fp32 on fbgemm's VNNI (2.1–3.3x), AVX-512 (1.7x) and AVX2 (1.55x forced here, 1.05x on a
/// real AVX2-only machine) paths, but slower (0.92x) with ATen's vector kernels off
/// (`ATEN_CPU_CAPABILITY=default`): its quantisation and clamps are ATen element-wise kernels.
/// Summaries: int8 scored lower ROUGE-1 on the development set, so fp32 everywhere.
pub fn auto_choice(role: EncoderRole, path: Int8Path) -> (Precision, &'static str) {
    let aten_scalar = std::env::var("ATEN_CPU_CAPABILITY").is_ok_and(|v| v.trim().eq_ignore_ascii_case("default"));
    match (role, path) {
        (_, Int8Path::Unsupported) => (Precision::Fp32, "fbgemm cannot run int8 on this CPU (no AVX2/FMA)"),
        (EncoderRole::Summary, _) => {
            (Precision::Fp32, "int8 summaries scored lower ROUGE-1 than fp32 on the development set")
        }
        (EncoderRole::Ner, _) if aten_scalar => (
            Precision::Fp32,
            "ATEN_CPU_CAPABILITY=default: int8 measured slower than fp32 without ATen's vector kernels",
        ),
        (EncoderRole::Ner, Int8Path::Avx512Vnni) => {
            (Precision::Int8, "fbgemm AVX-512 VNNI path: int8 measured 2.1-3.3x fp32's speed at the same F1")
        }
        (EncoderRole::Ner, Int8Path::Avx512) => {
            (Precision::Int8, "fbgemm AVX-512 path: int8 measured 1.7x fp32's speed at the same F1")
        }
        (EncoderRole::Ner, Int8Path::Avx2) => {
            (Precision::Int8, "fbgemm AVX2 path: int8 measured 1.05-1.55x fp32's speed at the same F1")
        }
    }
}

/// Where the feed-forward output's input is split (see the module docs); 0.5, 1 and 4 gave the
/// same agreement on the conflict dev paragraphs.
pub const SPLIT_AT: f64 = 1.0;

/// Bound on `|w_k| + |w_k+1|` before rounding, in int8 steps: after rounding a pair sums to at
/// most 128, and 255 × 128 = 32,640 fits the int16 that fbgemm's `vpmaddubsw` kernels add a
/// pair of products in (module docs).
pub const PAIR_BOUND: f64 = 127.0;

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
        // per-row scale such that no two neighbouring weights of a row (k, k+1 for even k) sum
        // to more than 128 in magnitude after rounding: fbgemm's AVX2/AVX-512 kernels add such
        // pairs of u8·i8 products in saturating int16 (`vpmaddubsw`), so 255·128 = 32,640 never
        // saturates and every path computes the same exact integer sums (module docs)
        let abs = w.abs();
        // an odd width has a last unpaired column: it pairs with a zero
        let abs = if in_f % 2 == 1 {
            Tensor::cat(&[abs, Tensor::zeros([out_f, 1], (Kind::Float, w.device()))], 1)
        } else {
            abs
        };
        let pair_max =
            abs.view([out_f, (in_f + 1) / 2, 2]).sum_dim_intlist(&[2i64][..], false, Kind::Float).amax([1], false);
        let row_scale = pair_max.clamp_min(1e-12) / PAIR_BOUND;
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
                let parts =
                    TARGETS[..3].iter().map(|t| get(&format!("{}.{suffix}", p(t)))).collect::<Result<Vec<_>, _>>()?;
                Ok(Tensor::cat(&parts, 0))
            };
            layers.push(Layer {
                qkv: QLinear::new(&cat("weight")?, &cat("bias")?)
                    .map_err(|e| format!("{}: {e}", p("attention.self")))?,
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
