//! Marian (opus-mt) neural translation through rust-bert, loaded from a local folder.
//!
//! A model folder holds what the Hugging Face opus-mt repositories publish, with the weights
//! converted for rust-bert:
//!
//! | file | content |
//! |---|---|
//! | `config.json` | Marian/BART configuration (`d_model`, layers, heads, vocabulary size, special ids) |
//! | `vocab.json` | piece → id map shared by source and target |
//! | `source.spm` | SentencePiece model (protobuf) that splits the French input |
//! | `target.spm` | SentencePiece model of the English side (kept for completeness; decoding uses `vocab.json`) |
//! | `rust_model.ot` or `model.safetensors` | weights with rust-bert's variable names |
//!
//! `scripts/fetch-marian.sh` downloads `Helsinki-NLP/opus-mt-fr-en` (or `opus-mt-tc-big-fr-en`)
//! on a machine with internet access. Nothing is downloaded at run time. Tests use a tiny
//! random-weight model made by [`super::marian_fixture`].
//!
//! One [`MarianTranslator`] is shared by all workers: the generator (tch tensors are `Send` but
//! not `Sync`) sits behind a mutex; sentences are sorted by length and decoded in batches.
//!
//! ```no_run
//! use vigie::translate::{marian::{MarianOptions, MarianTranslator}, Translator};
//! let tr = MarianTranslator::load("models/opus-mt-fr-en".as_ref(), MarianOptions::default())?;
//! let en = tr.translate(&["Le convoi a été attaqué près de Kidal.".to_string()])?;
//! println!("{}", en[0]);
//! # Ok::<(), vigie::translate::TranslateError>(())
//! ```

use super::{TranslateError, Translator};
use rust_bert::marian::MarianGenerator;
use rust_bert::pipelines::common::{ModelResource, ModelType, TokenizerOption};
use rust_bert::pipelines::generation_utils::{GenerateConfig, GenerateOptions, LanguageGenerator};
use rust_bert::resources::LocalResource;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Weight file names tried in order.
pub const WEIGHT_FILES: [&str; 2] = ["rust_model.ot", "model.safetensors"];
/// Files every Marian folder needs besides the weights.
pub const REQUIRED_FILES: [&str; 3] = ["config.json", "vocab.json", "source.spm"];

/// Decoding settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MarianOptions {
    /// Beam width; 1 = greedy decoding.
    pub num_beams: i64,
    /// Maximum length of an output in tokens (decoder start and end of sentence included);
    /// capped by the model's `max_position_embeddings`.
    pub max_length: i64,
    /// Sentences decoded together (after sorting by length).
    pub batch_size: usize,
    /// Length penalty of beam search (1.0 = average log-probability per token).
    pub length_penalty: f64,
}

impl Default for MarianOptions {
    /// The opus-mt settings: beam 4, 512 tokens at most, 16 sentences per batch.
    fn default() -> Self {
        MarianOptions { num_beams: 4, max_length: 512, batch_size: 16, length_penalty: 1.0 }
    }
}

/// Counters of the last [`MarianTranslator::translate_with_stats`] call.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DecodeStats {
    pub sentences: usize,
    /// Source pieces fed to the encoder (end-of-sentence included).
    pub input_tokens: usize,
    /// Tokens generated (decoder start excluded).
    pub output_tokens: usize,
    /// Inputs longer than the model's positions, split at spaces and translated in parts.
    pub split_inputs: usize,
    pub batches: usize,
    pub seconds: f64,
}

impl DecodeStats {
    pub fn output_tokens_per_second(&self) -> f64 {
        self.output_tokens as f64 / self.seconds.max(1e-9)
    }
}

/// rust-bert's Marian generator over a local folder.
pub struct MarianTranslator {
    generator: Mutex<MarianGenerator>,
    /// Our own tokenizer instance, to measure inputs before they reach the model.
    tokenizer: TokenizerOption,
    options: MarianOptions,
    max_positions: usize,
    id: String,
}

fn unavailable(dir: &Path, why: impl std::fmt::Display) -> TranslateError {
    TranslateError::Unavailable(format!("Marian model folder {}: {why}", dir.display()))
}

/// The fields of `config.json` checked before rust-bert reads it (rust-bert panics on a bad file).
#[derive(serde::Deserialize)]
struct ConfigCheck {
    model_type: Option<String>,
    #[serde(rename = "_name_or_path")]
    name_or_path: Option<String>,
    vocab_size: i64,
    max_position_embeddings: i64,
    pad_token_id: Option<i64>,
}

/// Weight file of a folder: the first of [`WEIGHT_FILES`] present.
pub fn weights_path(dir: &Path) -> Option<PathBuf> {
    WEIGHT_FILES.iter().map(|f| dir.join(f)).find(|p| p.is_file())
}

/// First line of a panic payload (libtorch errors carry a long C++ backtrace).
fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    let s = p
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    s.lines().next().unwrap_or_default().to_string()
}

impl MarianTranslator {
    /// Loads a model folder (see the module docs). Missing or malformed files give
    /// [`TranslateError::Unavailable`] naming the file, never a panic.
    pub fn load(dir: &Path, options: MarianOptions) -> Result<Self, TranslateError> {
        if !dir.is_dir() {
            return Err(unavailable(dir, "not a folder (see scripts/fetch-marian.sh)"));
        }
        if options.num_beams < 1 || options.max_length < 2 || options.batch_size == 0 {
            return Err(unavailable(dir, format!("invalid decoding options {options:?}")));
        }
        for f in REQUIRED_FILES {
            if !dir.join(f).is_file() {
                return Err(unavailable(dir, format!("{f} is missing")));
            }
        }
        let weights = weights_path(dir)
            .ok_or_else(|| unavailable(dir, format!("no weights ({} or {})", WEIGHT_FILES[0], WEIGHT_FILES[1])))?;
        let config_text = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| unavailable(dir, format!("config.json: {e}")))?;
        let check: ConfigCheck =
            serde_json::from_str(&config_text).map_err(|e| unavailable(dir, format!("config.json: {e}")))?;
        // The full rust-bert structure too, so that its own reading cannot panic later.
        serde_json::from_str::<rust_bert::marian::MarianConfig>(&config_text)
            .map_err(|e| unavailable(dir, format!("config.json is not a Marian/BART configuration: {e}")))?;
        if let Some(t) = &check.model_type {
            if t != "marian" {
                return Err(unavailable(dir, format!("config.json model_type is {t:?}, expected \"marian\"")));
            }
        }
        let vocab = dir.join("vocab.json");
        let spm = dir.join("source.spm");
        let path_str = |p: &Path| p.to_str().map(str::to_string).ok_or_else(|| unavailable(dir, "path is not UTF-8"));
        let (vocab_s, spm_s) = (path_str(&vocab)?, path_str(&spm)?);
        let make_tokenizer = || {
            TokenizerOption::from_file(ModelType::Marian, &vocab_s, Some(&spm_s), false, None, None)
                .map_err(|e| unavailable(dir, format!("tokenizer (vocab.json, source.spm): {e}")))
        };
        let tokenizer = make_tokenizer()?;
        for special in ["</s>", "<pad>"] {
            if tokenizer.convert_tokens_to_ids(&[special]).first().copied() == Some(tokenizer.get_unk_id()) {
                return Err(unavailable(dir, format!("vocab.json has no {special} entry")));
            }
        }
        let vocab_len = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
            &std::fs::read_to_string(&vocab).map_err(|e| unavailable(dir, format!("vocab.json: {e}")))?,
        )
        .map_err(|e| unavailable(dir, format!("vocab.json: {e}")))?
        .len() as i64;
        if vocab_len > check.vocab_size {
            return Err(unavailable(
                dir,
                format!("vocab.json has {vocab_len} entries but config.json vocab_size is {}", check.vocab_size),
            ));
        }
        if let Some(pad) = check.pad_token_id {
            if pad < 0 || pad >= check.vocab_size {
                return Err(unavailable(dir, format!("pad_token_id {pad} outside the vocabulary")));
            }
        }
        let generate_config = GenerateConfig {
            model_type: ModelType::Marian,
            model_resource: ModelResource::Torch(Box::new(LocalResource::from(weights.clone()))),
            config_resource: Box::new(LocalResource::from(dir.join("config.json"))),
            vocab_resource: Box::new(LocalResource::from(vocab.clone())),
            merges_resource: Some(Box::new(LocalResource::from(spm.clone()))),
            min_length: 0,
            max_length: Some(options.max_length),
            do_sample: false,
            early_stopping: true,
            num_beams: options.num_beams,
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            repetition_penalty: 1.0,
            length_penalty: options.length_penalty,
            no_repeat_ngram_size: 0,
            num_return_sequences: 1,
            num_beam_groups: None,
            diversity_penalty: None,
            device: tch::Device::Cpu,
            kind: None,
        };
        let generator = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            MarianGenerator::new_with_tokenizer(generate_config, make_tokenizer()?)
                .map_err(|e| unavailable(dir, format!("loading {}: {e}", weights.display())))
        }))
        .map_err(|p| unavailable(dir, format!("rust-bert failed to load the model: {}", panic_message(p))))??;
        let name = check
            .name_or_path
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| dir.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
        Ok(MarianTranslator {
            generator: Mutex::new(generator),
            tokenizer,
            max_positions: check.max_position_embeddings.max(2) as usize,
            id: format!("marian {name}"),
            options,
        })
    }

    pub fn options(&self) -> &MarianOptions {
        &self.options
    }

    /// Source pieces of `text` (without the end-of-sentence token).
    pub fn count_tokens(&self, text: &str) -> usize {
        self.tokenizer.tokenize(text).len()
    }

    /// Splits a sentence that has more pieces than the encoder has positions into parts that
    /// fit, at spaces (or anywhere for a space-free run), so no text is cut off.
    fn fit(&self, text: &str) -> Vec<String> {
        let limit = self.max_positions.saturating_sub(1).max(1);
        if self.count_tokens(text) <= limit {
            return vec![text.to_string()];
        }
        let mut parts = Vec::new();
        let mut current = String::new();
        for word in text.split_inclusive(char::is_whitespace) {
            let candidate = format!("{current}{word}");
            if !current.is_empty() && self.count_tokens(&candidate) > limit {
                parts.push(std::mem::take(&mut current));
                current = word.to_string();
            } else {
                current = candidate;
            }
            // A single word longer than the limit: cut it by characters.
            while self.count_tokens(&current) > limit {
                let chars: Vec<char> = current.chars().collect();
                let mut cut = chars.len() / 2;
                while cut > 1 && self.count_tokens(&chars[..cut].iter().collect::<String>()) > limit {
                    cut /= 2;
                }
                parts.push(chars[..cut].iter().collect());
                current = chars[cut..].iter().collect();
            }
        }
        if !current.trim().is_empty() {
            parts.push(current);
        }
        parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
    }

    /// Translates with the loaded settings and reports counters.
    pub fn translate_with_stats(&self, sentences: &[String]) -> Result<(Vec<String>, DecodeStats), TranslateError> {
        self.translate_with(sentences, &self.options)
    }

    /// Translates with other decoding settings (beam, max length, batch) on the same model.
    pub fn translate_with(
        &self,
        sentences: &[String],
        options: &MarianOptions,
    ) -> Result<(Vec<String>, DecodeStats), TranslateError> {
        let started = Instant::now();
        let mut stats = DecodeStats { sentences: sentences.len(), ..Default::default() };
        if options.num_beams < 1 || options.max_length < 2 || options.batch_size == 0 {
            return Err(TranslateError::Process(format!("invalid decoding options {options:?}")));
        }
        // Units to decode: (sentence, part, text, pieces); empty sentences translate to "".
        let mut units: Vec<(usize, usize, String, usize)> = Vec::new();
        for (i, s) in sentences.iter().enumerate() {
            let s = s.trim();
            if s.is_empty() {
                continue;
            }
            let parts = self.fit(s);
            if parts.len() > 1 {
                stats.split_inputs += 1;
            }
            for (k, p) in parts.into_iter().enumerate() {
                let n = self.count_tokens(&p) + 1;
                stats.input_tokens += n;
                units.push((i, k, p, n));
            }
        }
        units.sort_by_key(|u| u.3);
        let mut pieces: Vec<Vec<(usize, String)>> = vec![Vec::new(); sentences.len()];
        // The decoder has as many positions as the encoder: longer outputs are impossible (and
        // would index past the position table).
        let max_length = options.max_length.min(self.max_positions as i64);
        let generate_options = GenerateOptions {
            num_beams: Some(options.num_beams),
            max_length: Some(max_length),
            length_penalty: Some(options.length_penalty),
            do_sample: Some(false),
            ..Default::default()
        };
        let guard = self.generator.lock().map_err(|_| TranslateError::Process("Marian model lock poisoned".into()))?;
        for batch in units.chunks(options.batch_size) {
            let texts: Vec<&str> = batch.iter().map(|u| u.2.as_str()).collect();
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                guard.generate_indices(Some(&texts), Some(generate_options))
            }))
            .map_err(|p| TranslateError::Process(format!("Marian decoding panicked: {}", panic_message(p))))?
            .map_err(|e| TranslateError::Process(format!("Marian decoding: {e}")))?;
            if out.len() != batch.len() {
                return Err(TranslateError::Process(format!(
                    "Marian returned {} outputs for {} inputs",
                    out.len(),
                    batch.len()
                )));
            }
            stats.batches += 1;
            for (u, o) in batch.iter().zip(out) {
                // generated ids start with the decoder start token
                stats.output_tokens += o.indices.len().saturating_sub(1);
                let text = self.tokenizer.decode(&o.indices, true, true).trim().to_string();
                pieces[u.0].push((u.1, text));
            }
        }
        drop(guard);
        let out = pieces
            .into_iter()
            .map(|mut p| {
                p.sort_by_key(|x| x.0);
                p.into_iter().map(|x| x.1).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
            })
            .collect();
        stats.seconds = started.elapsed().as_secs_f64();
        Ok((out, stats))
    }
}

impl Translator for MarianTranslator {
    fn id(&self) -> &str {
        &self.id
    }

    fn translate(&self, sentences: &[String]) -> Result<Vec<String>, TranslateError> {
        Ok(self.translate_with_stats(sentences)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_contract() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MarianTranslator>();
        let o = MarianOptions::default();
        assert_eq!((o.num_beams, o.max_length, o.batch_size), (4, 512, 16));
    }

    #[test]
    fn missing_folder_and_files_are_clear_errors() {
        let e = MarianTranslator::load(Path::new("/nonexistent/marian"), MarianOptions::default()).err().unwrap();
        assert!(e.to_string().contains("not a folder"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let e = MarianTranslator::load(d.path(), MarianOptions::default()).err().unwrap();
        assert!(e.to_string().contains("config.json is missing"), "{e}");
    }
}
