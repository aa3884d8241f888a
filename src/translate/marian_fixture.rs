//! A tiny random-weight Marian model folder, made entirely by this project, for tests and
//! speed measurements of the Marian code path where no trained opus-mt weights can be fetched.
//!
//! * **SentencePiece model**: a unigram vocabulary learnt (by counting) from a text you give:
//!   every character, `▁`, and the most frequent words as `▁word` pieces, scored by their log
//!   frequency; written as the SentencePiece `ModelProto` protobuf (`source.spm`, `target.spm`)
//!   by a small encoder below (pieces, trainer spec with model type UNIGRAM, identity normaliser).
//! * **vocab.json**: `</s>` = 0, `<unk>` = 1, the pieces, `<pad>` last (the opus-mt layout).
//! * **config.json**: a Marian configuration with small dimensions.
//! * **rust_model.ot** (or `model.safetensors`): rust-bert's `MarianForConditionalGeneration` created with a fixed torch
//!   seed (random weights: outputs are gibberish by design) and saved.
//!
//! The result loads through exactly the same path as a real opus-mt folder
//! ([`super::marian::MarianTranslator::load`]).

use rust_bert::marian::{MarianConfig, MarianForConditionalGeneration};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;

/// French and English sentences written for the fixture vocabulary.
pub const DEFAULT_TEXT: &str = "\
Le convoi de l'armée a été attaqué près de la ville. The army convoy was attacked near the town.
Les rebelles ont revendiqué l'embuscade dans un communiqué. The rebels claimed the ambush in a statement.
Des drones et des hélicoptères ont survolé la région. Drones and helicopters flew over the region.
Plusieurs soldats ont été blessés par un engin explosif. Several soldiers were wounded by an explosive device.
Le gouvernement a annoncé une enquête sur les combats. The government announced an inquiry into the fighting.
Les habitants ont fui vers le nord du pays. The inhabitants fled to the north of the country.
La mission des Nations unies a condamné l'attaque. The United Nations mission condemned the attack.
Les forces armées ont repris le contrôle du camp. The armed forces regained control of the camp.
Un accord de cessez-le-feu a été signé mardi. A ceasefire agreement was signed on Tuesday.
Les combats ont fait au moins douze morts et vingt blessés. The fighting left at least twelve dead and twenty wounded.
";

/// Size of the fixture.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureSpec {
    pub d_model: i64,
    pub layers: i64,
    pub heads: i64,
    pub ffn_dim: i64,
    pub max_positions: i64,
    /// Upper bound on SentencePiece pieces (specials excluded).
    pub max_pieces: usize,
    pub seed: u64,
    /// Write `model.safetensors` instead of `rust_model.ot`.
    pub safetensors: bool,
}

impl Default for FixtureSpec {
    fn default() -> Self {
        FixtureSpec {
            d_model: 32,
            layers: 2,
            heads: 4,
            ffn_dim: 64,
            max_positions: 128,
            max_pieces: 400,
            seed: 42,
            safetensors: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the vocabulary text has no characters")]
    EmptyText,
    #[error("invalid fixture size: {0}")]
    Spec(String),
    #[error("building the model: {0}")]
    Model(String),
}

/// What [`build`] wrote.
#[derive(Debug, Clone)]
pub struct FixtureReport {
    pub dir: PathBuf,
    /// Entries of vocab.json (= config vocab_size).
    pub vocab_size: usize,
    /// Pieces in the SentencePiece model (specials included).
    pub pieces: usize,
    pub parameters: i64,
}

/// One SentencePiece entry; `kind` follows `sentencepiece_model.proto` (1 normal, 2 unknown, 3 control).
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub piece: String,
    pub score: f32,
    pub kind: u8,
}

/// Learns a unigram piece list from `text` (NFKC, as the Marian tokenizer normalises): specials,
/// `▁`, every character, then the most frequent `▁word` pieces, scored by log frequency.
pub fn learn_pieces(text: &str, max_pieces: usize) -> Result<Vec<Piece>, FixtureError> {
    let text: String = text.nfkc().collect();
    let mut chars: HashMap<char, u64> = HashMap::new();
    let mut words: HashMap<String, u64> = HashMap::new();
    for w in text.split_whitespace() {
        for c in w.chars() {
            *chars.entry(c).or_default() += 1;
        }
        *words.entry(format!("\u{2581}{w}")).or_default() += 1;
    }
    if chars.is_empty() {
        return Err(FixtureError::EmptyText);
    }
    let total = (chars.values().sum::<u64>() + words.values().sum::<u64>()) as f32;
    let mut out = vec![
        Piece { piece: "<unk>".into(), score: 0.0, kind: 2 },
        Piece { piece: "<s>".into(), score: 0.0, kind: 3 },
        Piece { piece: "</s>".into(), score: 0.0, kind: 3 },
        Piece { piece: "\u{2581}".into(), score: (words.len() as f32 / total).ln(), kind: 1 },
    ];
    let mut cs: Vec<(char, u64)> = chars.into_iter().collect();
    cs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    // characters are a fallback: scored below any word piece
    for (c, n) in cs.iter().take(max_pieces) {
        out.push(Piece { piece: c.to_string(), score: (*n as f32 / total).ln() - 4.0, kind: 1 });
    }
    let room = max_pieces.saturating_sub(cs.len().min(max_pieces));
    let mut ws: Vec<(String, u64)> = words.into_iter().filter(|(w, _)| w.chars().count() > 2).collect();
    ws.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (w, n) in ws.into_iter().take(room) {
        out.push(Piece { piece: w, score: (n as f32 / total).ln(), kind: 1 });
    }
    Ok(out)
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    varint(((field as u64) << 3) | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn field_varint(field: u32, v: u64, out: &mut Vec<u8>) {
    varint((field as u64) << 3, out);
    varint(v, out);
}

/// Encodes a SentencePiece `ModelProto`: `pieces` (field 1: piece=1, score=2 fixed32,
/// type=3), `trainer_spec` (field 2: model_type=3 UNIGRAM, vocab_size=4) and
/// `normalizer_spec` (field 3: name=1 "identity").
pub fn encode_model_proto(pieces: &[Piece]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in pieces {
        let mut m = Vec::new();
        field_bytes(1, p.piece.as_bytes(), &mut m);
        varint((2 << 3) | 5, &mut m);
        m.extend_from_slice(&p.score.to_le_bytes());
        field_varint(3, p.kind as u64, &mut m);
        field_bytes(1, &m, &mut out);
    }
    let mut trainer = Vec::new();
    field_varint(3, 1, &mut trainer); // UNIGRAM
    field_varint(4, pieces.len() as u64, &mut trainer);
    field_bytes(2, &trainer, &mut out);
    let mut normalizer = Vec::new();
    field_bytes(1, b"identity", &mut normalizer);
    field_bytes(3, &normalizer, &mut out);
    out
}

fn write(path: PathBuf, bytes: &[u8]) -> Result<(), FixtureError> {
    std::fs::write(&path, bytes).map_err(|source| FixtureError::Io { path, source })
}

/// Writes a complete Marian folder into `dir` (created; existing fixture files replaced).
pub fn build(dir: &Path, text: &str, spec: &FixtureSpec) -> Result<FixtureReport, FixtureError> {
    if spec.d_model <= 0 || spec.heads <= 0 || spec.d_model % spec.heads != 0 || spec.layers <= 0 || spec.ffn_dim <= 0 {
        return Err(FixtureError::Spec(format!("{spec:?}: d_model must be a positive multiple of heads")));
    }
    if spec.max_positions < 8 || spec.d_model % 2 != 0 {
        return Err(FixtureError::Spec("max_positions >= 8 and an even d_model are needed".into()));
    }
    std::fs::create_dir_all(dir).map_err(|source| FixtureError::Io { path: dir.to_path_buf(), source })?;
    let pieces = learn_pieces(text, spec.max_pieces)?;
    let spm = encode_model_proto(&pieces);
    write(dir.join("source.spm"), &spm)?;
    write(dir.join("target.spm"), &spm)?;

    let mut vocab = serde_json::Map::new();
    vocab.insert("</s>".into(), 0.into());
    vocab.insert("<unk>".into(), 1.into());
    for p in pieces.iter().filter(|p| p.kind == 1) {
        let id = vocab.len();
        vocab.entry(p.piece.clone()).or_insert(id.into());
    }
    let pad = vocab.len() as i64;
    vocab.insert("<pad>".into(), pad.into());
    let vocab_size = vocab.len();
    write(dir.join("vocab.json"), serde_json::to_string_pretty(&vocab).expect("json").as_bytes())?;

    let config = serde_json::json!({
        "_name_or_path": format!("vigie/marian-fixture-d{}-l{}-s{}", spec.d_model, spec.layers, spec.seed),
        "model_type": "marian",
        "architectures": ["MarianMTModel"],
        "vigie_fixture": {"random_weights": true, "seed": spec.seed, "note": "made by vigie models make-marian-fixture; not a trained model"},
        "vocab_size": vocab_size,
        "d_model": spec.d_model,
        "encoder_layers": spec.layers,
        "decoder_layers": spec.layers,
        "num_hidden_layers": spec.layers,
        "encoder_attention_heads": spec.heads,
        "decoder_attention_heads": spec.heads,
        "encoder_ffn_dim": spec.ffn_dim,
        "decoder_ffn_dim": spec.ffn_dim,
        "max_position_embeddings": spec.max_positions,
        "activation_function": "swish",
        "activation_dropout": 0.0,
        "attention_dropout": 0.0,
        "dropout": 0.1,
        "encoder_layerdrop": 0.0,
        "decoder_layerdrop": 0.0,
        "init_std": 0.02,
        "pad_token_id": pad,
        "eos_token_id": 0,
        "bos_token_id": 0,
        "decoder_start_token_id": pad,
        "scale_embedding": true,
        "static_position_embeddings": true,
        "normalize_embedding": false,
        "is_encoder_decoder": true,
        "num_beams": 4,
        "max_length": spec.max_positions,
    });
    write(dir.join("config.json"), serde_json::to_string_pretty(&config).expect("json").as_bytes())?;

    let marian: MarianConfig = serde_json::from_value(config).map_err(|e| FixtureError::Model(e.to_string()))?;
    tch::manual_seed(spec.seed as i64);
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let _model = MarianForConditionalGeneration::new(vs.root(), &marian);
    let parameters = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
    let path = dir.join(if spec.safetensors { "model.safetensors" } else { "rust_model.ot" });
    for stale in ["model.safetensors", "rust_model.ot"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    vs.save(&path).map_err(|e| FixtureError::Model(format!("saving {}: {e}", path.display())))?;
    Ok(FixtureReport { dir: dir.to_path_buf(), vocab_size, pieces: pieces.len(), parameters })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_every_character_and_frequent_words() {
        let p = learn_pieces("la la la ville, la ville", 100).unwrap();
        let names: Vec<&str> = p.iter().map(|p| p.piece.as_str()).collect();
        for c in ["l", "a", "v", "i", "e", ",", "\u{2581}la", "\u{2581}ville"] {
            assert!(names.contains(&c), "{c} missing from {names:?}");
        }
        let score = |s: &str| p.iter().find(|x| x.piece == s).unwrap().score;
        assert!(score("\u{2581}la") > score("\u{2581}ville"));
        assert!(score("\u{2581}ville") > score("v"));
        assert!(matches!(learn_pieces(" \n ", 10), Err(FixtureError::EmptyText)));
    }

    #[test]
    fn protobuf_encoding_is_exact() {
        let bytes = encode_model_proto(&[Piece { piece: "a".into(), score: 1.0, kind: 1 }]);
        // pieces: tag 0x0a, len 10: [0x0a 1 'a'] [0x15 f32 1.0] [0x18 1]
        assert_eq!(&bytes[..12], &[0x0a, 10, 0x0a, 1, b'a', 0x15, 0, 0, 0x80, 0x3f, 0x18, 1][..]);
        // trainer spec: model_type 1, vocab_size 1
        assert_eq!(&bytes[12..18], &[0x12, 4, 0x18, 1, 0x20, 1][..]);
        assert_eq!(&bytes[18..20], &[0x1a, 10][..]);
    }

    #[test]
    fn varint_multi_byte() {
        let mut v = Vec::new();
        varint(300, &mut v);
        assert_eq!(v, vec![0xac, 0x02]);
    }

    #[test]
    fn bad_spec_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let spec = FixtureSpec { d_model: 30, heads: 4, ..Default::default() };
        assert!(matches!(build(d.path(), DEFAULT_TEXT, &spec), Err(FixtureError::Spec(_))));
    }
}
