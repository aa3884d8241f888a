//! Inference: the trained adapters merged into rust-bert's `BertModel`, run over overlapping
//! windows in length-sorted batches; the pipeline's [`ModelTagger`].

use super::data::VocabPolicy;
use super::net::{dequantize_delta, lora_delta, read_dims, TrainMode, TARGETS};
use super::windows::{best_reads, windows, Window};
use super::words::split_words;
use super::{
    base_files, base_fingerprint, resolve_base, ModelError, NerConfig, TagId, TagSet, WordSpan, WordTokenizer,
    ADAPTER_FILE,
};
use crate::doc::Source;
use crate::models::int8::{silence_stderr, EncoderRole, Int8Encoder, Precision, Resolved};
use crate::ner::{EntityTagger, NerError, Span, TagInput, Tagged};
use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tch::{nn, nn::Module, Device, Kind, Tensor};

/// Most windows per forward pass.
const MAX_BATCH: usize = 16;
/// Most tokens (windows × padded length) per forward pass.
const MAX_BATCH_TOKENS: usize = 2048;

/// Where inference time went (cumulative since load).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct InferenceStats {
    /// Encoder forward passes (batches) and windows run.
    pub batches: u64,
    pub windows: u64,
    /// Real tokens, and tokens including batch padding.
    pub tokens: u64,
    pub padded_tokens: u64,
    /// Seconds in the encoder + head (libtorch), and in the rest (tokenizing, windows, decoding).
    pub forward_secs: f64,
    pub total_secs: f64,
}

/// The predicted tag of one word and its probability.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordPrediction {
    pub tag: TagId,
    pub prob: f32,
}

enum Encoder {
    Fp32 { bert: BertModel<BertEmbeddings>, _vs: nn::VarStore },
    Int8(Int8Encoder),
}

struct Net {
    encoder: Encoder,
    head: nn::Linear,
}

/// A loaded NER model. One instance serves all threads: the network sits behind a mutex (tch
/// tensors are `Send` but not `Sync`), and each call runs a whole batch on libtorch's own threads.
pub struct NerModel {
    net: Mutex<Net>,
    precision: Resolved,
    tok: WordTokenizer,
    tags: TagSet,
    config: NerConfig,
    dir: PathBuf,
    base: PathBuf,
    /// Width of the encoder's hidden states (384 for multilingual-e5-small).
    hidden_size: usize,
    vocab: VocabPolicy,
    /// Embedding rows kept in memory (`None`: all `vocab_total`).
    vocab_rows: Option<usize>,
    vocab_total: usize,
    stats: Mutex<InferenceStats>,
}

fn invalid(path: &Path, msg: impl std::fmt::Display) -> ModelError {
    ModelError::Invalid { path: path.to_path_buf(), msg: msg.to_string() }
}

impl NerModel {
    /// Loads a model folder; `base` overrides the encoder folder (default: the sibling folder
    /// named in `ner_config.json`, e.g. `models/e5`).
    pub fn load(dir: &Path, base: Option<&Path>) -> Result<NerModel, ModelError> {
        Self::load_with(dir, base, Precision::Fp32)
    }

    /// [`NerModel::load`] with a choice of encoder precision and the default vocabulary
    /// ([`VocabPolicy::Latin`]). [`Precision::Auto`] is resolved for this CPU
    /// ([`Precision::resolve`]).
    pub fn load_with(dir: &Path, base: Option<&Path>, precision: Precision) -> Result<NerModel, ModelError> {
        Self::load_opts(dir, base, precision, VocabPolicy::default())
    }

    /// [`NerModel::load_with`] with a choice of the embedding rows kept in memory.
    pub fn load_opts(
        dir: &Path,
        base: Option<&Path>,
        precision: Precision,
        vocab: VocabPolicy,
    ) -> Result<NerModel, ModelError> {
        let precision = precision.resolve(EncoderRole::Ner)?;
        let t0 = std::time::Instant::now();
        let config = NerConfig::read(dir)?;
        let adapter = dir.join(ADAPTER_FILE);
        if !adapter.is_file() {
            return Err(ModelError::Missing { path: adapter, hint: "the model folder is incomplete".into() });
        }
        let base = resolve_base(dir, &config, base);
        let files = base_files(&base)?;
        let found = base_fingerprint(&base)?;
        if found != config.base_fingerprint {
            return Err(ModelError::BaseMismatch { base, found, expected: config.base_fingerprint.clone() });
        }
        let config_text = std::fs::read_to_string(&files.config)
            .map_err(|source| ModelError::Io { path: files.config.clone(), source })?;
        let bconf: BertConfig = serde_json::from_str(&config_text)
            .map_err(|e| invalid(&files.config, format!("not a BERT config: {e}")))?;
        let tags = config.tag_set();
        // the embedding rows this model keeps (the tokenizer then gives row numbers); the
        // weights are read tensor by tensor, only those rows of the embedding table
        let mut tok = WordTokenizer::load(&files.tokenizer)?;
        let kept = tok.kept_rows(vocab);
        let vocab_total = bconf.vocab_size as usize;
        let mut bconf = bconf;
        if let Some(k) = &kept {
            tok.prune_to(k)?;
            bconf.vocab_size = k.len() as i64;
        }
        let vocab_rows = kept.as_ref().map(|k| k.len());
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "NER load: fingerprint checked, tokenizer read");
        let mut vs = nn::VarStore::new(Device::Cpu);
        let bert = BertModel::<BertEmbeddings>::new_with_optional_pooler(vs.root(), &bconf, false);
        let head = nn::linear(vs.root() / "classifier", bconf.hidden_size, tags.len() as i64, Default::default());
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "NER load: encoder built");
        let weights =
            crate::models::weights::SafetensorsFile::open(&files.weights).map_err(|e| invalid(&files.weights, e))?;
        let missing = weights
            .load_into(&vs.variables(), kept.as_deref().map(|k| ("embeddings.word_embeddings.weight", k)))
            .map_err(|e| invalid(&files.weights, e))?;
        drop(weights);
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "NER load: base weights read");
        if missing.iter().any(|m| !m.starts_with("classifier.")) {
            return Err(invalid(&files.weights, format!("encoder weights lack {missing:?}")));
        }
        // adapters: biases, layer norms and head by name; LoRA pairs merged into the weights
        let named = Tensor::read_safetensors(&adapter).map_err(|e| invalid(&adapter, e))?;
        let named: std::collections::HashMap<String, Tensor> = named.into_iter().collect();
        let vars = vs.variables();
        let mut merged = 0;
        tch::no_grad(|| -> Result<(), ModelError> {
            let is_delta = |n: &str| {
                n.ends_with(".lora_a")
                    || n.ends_with(".lora_b")
                    || n.ends_with(".delta_q")
                    || n.ends_with(".delta_scale")
            };
            for (name, t) in &named {
                if is_delta(name) {
                    continue;
                }
                let var = vars.get(name).ok_or_else(|| invalid(&adapter, format!("unexpected tensor {name}")))?;
                if var.size() != t.size() {
                    return Err(invalid(&adapter, format!("{name}: shape {:?}, expected {:?}", t.size(), var.size())));
                }
                var.shallow_clone().f_copy_(t)?;
            }
            for layer in 0..bconf.num_hidden_layers {
                for target in TARGETS {
                    let p = format!("encoder.layer.{layer}.{target}");
                    let w = vars.get(&format!("{p}.weight")).ok_or_else(|| invalid(&adapter, format!("no {p}")))?;
                    let get = |suffix: &str| named.get(&format!("{p}.{suffix}"));
                    let delta = match config.mode {
                        TrainMode::Lora => {
                            let (Some(a), Some(b)) = (get("lora_a"), get("lora_b")) else {
                                return Err(invalid(&adapter, format!("missing LoRA pair {p}.lora_a/lora_b")));
                            };
                            let ok = a.size().len() == 2
                                && b.size().len() == 2
                                && a.size()[0] == config.lora.rank
                                && b.size()[1] == config.lora.rank
                                && [b.size()[0], a.size()[1]] == w.size()[..];
                            if !ok {
                                return Err(invalid(
                                    &adapter,
                                    format!("{p}: LoRA shapes {:?} {:?}", a.size(), b.size()),
                                ));
                            }
                            lora_delta(a, b, config.lora.scale())
                        }
                        TrainMode::Full => {
                            let (Some(q), Some(sc)) = (get("delta_q"), get("delta_scale")) else {
                                return Err(invalid(&adapter, format!("missing {p}.delta_q/delta_scale")));
                            };
                            if q.size() != w.size() || sc.size() != [w.size()[0]] || q.kind() != Kind::Int8 {
                                return Err(invalid(
                                    &adapter,
                                    format!("{p}: delta shapes {:?} {:?}", q.size(), sc.size()),
                                ));
                            }
                            dequantize_delta(q, sc)
                        }
                    };
                    let _ = w.shallow_clone().f_add_(&delta)?;
                    merged += 1;
                }
            }
            Ok(())
        })?;
        if !named.contains_key("classifier.weight") {
            return Err(invalid(&adapter, "no classifier.weight"));
        }
        vs.freeze();
        tracing::debug!(merged, secs = t0.elapsed().as_secs_f64(), "NER load: LoRA adapters merged");
        let encoder = match precision.precision {
            Precision::Fp32 | Precision::Auto => Encoder::Fp32 { bert, _vs: vs },
            Precision::Int8 => {
                let value: serde_json::Value =
                    serde_json::from_str(&config_text).map_err(|e| invalid(&files.config, format!("not JSON: {e}")))?;
                let dims = read_dims(&value).map_err(|e| invalid(&files.config, e))?;
                let vars = vs.variables();
                let q = tch::no_grad(|| silence_stderr(|| Int8Encoder::from_variables(&vars, dims)))
                    .map_err(|e| invalid(&files.weights, e))?;
                // the f32 projections are dropped with `bert` and `vs`; embeddings and norms are
                // shared with the int8 encoder
                drop((bert, vars, vs));
                Encoder::Int8(q)
            }
        };
        tracing::debug!(secs = t0.elapsed().as_secs_f64(), "NER load: encoder ready");
        Ok(NerModel {
            net: Mutex::new(Net { encoder, head }),
            precision,
            tok,
            tags,
            config,
            dir: dir.to_path_buf(),
            base,
            hidden_size: bconf.hidden_size as usize,
            vocab,
            vocab_rows,
            vocab_total,
            stats: Mutex::default(),
        })
    }

    /// The encoder precision this model runs at (`Fp32` or `Int8`).
    pub fn precision(&self) -> Precision {
        self.precision.precision
    }

    /// The precision with the reason it was chosen and the CPU's int8 path.
    pub fn precision_info(&self) -> &Resolved {
        &self.precision
    }

    pub fn tags(&self) -> &TagSet {
        &self.tags
    }

    pub fn config(&self) -> &NerConfig {
        &self.config
    }

    pub fn tokenizer(&self) -> &WordTokenizer {
        &self.tok
    }

    /// The embedding rows in memory, out of the encoder's vocabulary, and the pieces read
    /// through `<unk>` because their row was pruned, out of all pieces tokenized since load.
    pub fn vocab_info(&self) -> (VocabPolicy, usize, usize, u64, u64) {
        let (fell, total) = self.tok.fallback_counts().unwrap_or((0, 0));
        (self.vocab, self.vocab_rows.unwrap_or(self.vocab_total), self.vocab_total, fell, total)
    }

    /// Cumulative inference statistics.
    pub fn stats(&self) -> InferenceStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add_stats(&self, f: impl FnOnce(&mut InferenceStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// Tags for runs of words given as subword pieces (see [`WordTokenizer::pieces`]). Long runs
    /// are read through overlapping windows; all windows are batched by length.
    pub fn predict_pieces(&self, runs: &[Vec<Vec<u32>>]) -> Result<Vec<Vec<WordPrediction>>, ModelError> {
        Ok(self.predict_runs(runs, None)?.0)
    }

    /// [`predict_pieces`](Self::predict_pieces) that can also return, from the same encoder pass,
    /// sums of word states by group: `groups = (word_group, n)` gives each word of each run a
    /// group id below `n` (e.g. its sentence); the result has `n` sums of the final hidden states
    /// of the groups' words (each read where its tag is read; words without pieces add nothing).
    /// Only one batch of hidden states is in memory at a time.
    #[allow(clippy::type_complexity)]
    pub fn predict_runs(
        &self,
        runs: &[Vec<Vec<u32>>],
        groups: Option<(&[Vec<usize>], usize)>,
    ) -> Result<(Vec<Vec<WordPrediction>>, Option<Vec<Vec<f32>>>), ModelError> {
        let t0 = std::time::Instant::now();
        let max_len = self.config.max_len;
        let wins: Vec<Vec<Window>> = runs.iter().map(|r| windows(r, max_len, self.tok.specials)).collect();
        let reads: Vec<Vec<Option<(usize, usize)>>> =
            runs.iter().enumerate().map(|(r, run)| best_reads(&wins[r], run.len())).collect();
        // per window: the (position, group) of the words read from it
        let dim = self.hidden_size;
        let mut sums: Option<Vec<Vec<f32>>> = groups.map(|(_, n)| vec![vec![0f32; dim]; n]);
        let mut gathers: Vec<Vec<Vec<(usize, usize)>>> = wins.iter().map(|ws| vec![Vec::new(); ws.len()]).collect();
        if let Some((word_group, n)) = groups {
            for (r, rs) in reads.iter().enumerate() {
                for (w, read) in rs.iter().enumerate() {
                    if let (Some((win, pos)), Some(&g)) = (read, word_group.get(r).and_then(|g| g.get(w))) {
                        if g < n {
                            gathers[r][*win].push((*pos, g));
                        }
                    }
                }
            }
        }
        let mut all: Vec<(usize, usize)> =
            wins.iter().enumerate().flat_map(|(r, ws)| (0..ws.len()).map(move |w| (r, w))).collect();
        // longest windows first: each batch's tensors are then no larger than the last ones, so
        // the allocator reuses their memory instead of growing the heap batch after batch
        all.sort_by_key(|&(r, w)| std::cmp::Reverse(wins[r][w].ids.len()));
        let n_tags = self.tags.len();
        // probabilities per window: len × n_tags
        let mut probs: Vec<Vec<Vec<f32>>> = wins.iter().map(|ws| vec![Vec::new(); ws.len()]).collect();
        let mut i = 0;
        while i < all.len() {
            let mut j = i;
            // the batch is padded to its first (longest) window
            let longest = wins[all[i].0][all[i].1].ids.len();
            while j < all.len() && j - i < MAX_BATCH {
                if (j - i + 1) * longest > MAX_BATCH_TOKENS && j > i {
                    break;
                }
                j += 1;
            }
            let batch: Vec<&Window> = all[i..j].iter().map(|&(r, w)| &wins[r][w]).collect();
            let tf = std::time::Instant::now();
            let (out, states) = self.forward(&batch, sums.is_some())?;
            let secs = tf.elapsed().as_secs_f64();
            let longest = batch.iter().map(|w| w.ids.len()).max().unwrap_or(0) as u64;
            self.add_stats(|s| {
                s.batches += 1;
                s.windows += batch.len() as u64;
                s.tokens += batch.iter().map(|w| w.ids.len() as u64).sum::<u64>();
                s.padded_tokens += longest * batch.len() as u64;
                s.forward_secs += secs;
            });
            let mut states = states.map(Vec::into_iter);
            for (k, &(r, w)) in all[i..j].iter().enumerate() {
                probs[r][w] = out[k].clone();
                if let (Some(st), Some(sums)) = (states.as_mut(), sums.as_mut()) {
                    let h = st.next().unwrap_or_default();
                    for &(pos, g) in &gathers[r][w] {
                        if let Some(v) = h.get(pos * dim..(pos + 1) * dim) {
                            for (a, x) in sums[g].iter_mut().zip(v) {
                                *a += x;
                            }
                        }
                    }
                }
            }
            i = j;
        }
        let preds = reads
            .iter()
            .enumerate()
            .map(|(r, reads)| {
                reads
                    .iter()
                    .map(|read| match *read {
                        None => WordPrediction { tag: 0, prob: 1.0 },
                        Some((w, pos)) => {
                            let row = &probs[r][w][pos * n_tags..(pos + 1) * n_tags];
                            let (tag, &prob) =
                                row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).expect("at least one tag");
                            WordPrediction { tag, prob }
                        }
                    })
                    .collect()
            })
            .collect();
        // give the chunk's free heap pages back before the next one
        trim_heap();
        let total = t0.elapsed().as_secs_f64();
        self.add_stats(|s| s.total_secs += total);
        Ok((preds, sums))
    }

    /// Tags for sentences given as words.
    pub fn predict_words<S: AsRef<str>>(&self, sentences: &[Vec<S>]) -> Result<Vec<Vec<WordPrediction>>, ModelError> {
        let t0 = std::time::Instant::now();
        let runs: Vec<Vec<Vec<u32>>> = sentences.iter().map(|s| self.tok.pieces(s)).collect::<Result<_, _>>()?;
        let tokenize = t0.elapsed().as_secs_f64();
        self.add_stats(|s| s.total_secs += tokenize);
        self.predict_pieces(&runs)
    }

    /// Entity spans over words with their score (mean probability of their words' tags).
    pub fn spans(&self, preds: &[WordPrediction]) -> Vec<(WordSpan, f32)> {
        let tags: Vec<TagId> = preds.iter().map(|p| p.tag).collect();
        self.tags
            .decode(&tags)
            .into_iter()
            .map(|s| {
                let score = preds[s.start..s.end].iter().map(|p| p.prob).sum::<f32>() / (s.end - s.start) as f32;
                (s, score)
            })
            .collect()
    }

    /// Softmax outputs (flattened len × tags) for each window of a batch and, when asked, the
    /// final hidden states (flattened len × hidden).
    #[allow(clippy::type_complexity)]
    fn forward(
        &self,
        batch: &[&Window],
        with_hidden: bool,
    ) -> Result<(Vec<Vec<f32>>, Option<Vec<Vec<f32>>>), ModelError> {
        let len = batch.iter().map(|w| w.ids.len()).max().unwrap_or(0);
        let pad = self.tok.specials.pad;
        let (mut ids, mut mask) = (Vec::with_capacity(batch.len() * len), Vec::with_capacity(batch.len() * len));
        for w in batch {
            ids.extend_from_slice(&w.ids);
            ids.extend(std::iter::repeat(pad).take(len - w.ids.len()));
            mask.extend(std::iter::repeat(1i64).take(w.ids.len()));
            mask.extend(std::iter::repeat(0i64).take(len - w.ids.len()));
        }
        let shape = [batch.len() as i64, len as i64];
        let net = self.net.lock().unwrap_or_else(|e| e.into_inner());
        let (probs, hidden) = tch::no_grad(|| -> Result<(Tensor, Option<Tensor>), ModelError> {
            let ids = Tensor::from_slice(&ids).view(shape);
            let mask = Tensor::from_slice(&mask).view(shape);
            let hidden = match &net.encoder {
                Encoder::Fp32 { bert, .. } => {
                    bert.forward_t(Some(&ids), Some(&mask), None, None, None, None, None, false)
                        .map_err(|e| ModelError::Tokenize(format!("encoder: {e}")))?
                        .hidden_state
                }
                Encoder::Int8(q) => {
                    q.forward(&ids, &mask).map_err(|e| ModelError::Tokenize(format!("encoder: {e}")))?
                }
            };
            let probs = net.head.forward(&hidden).softmax(-1, Kind::Float).contiguous();
            Ok((probs, with_hidden.then(|| hidden.to_kind(Kind::Float).contiguous())))
        })?;
        drop(net);
        let hidden = match hidden {
            None => None,
            Some(h) => {
                let dim = self.hidden_size;
                let mut flat = vec![0f32; batch.len() * len * dim];
                let n = flat.len();
                h.f_copy_data(&mut flat, n)?;
                Some(
                    batch
                        .iter()
                        .enumerate()
                        .map(|(k, w)| flat[k * len * dim..(k * len + w.ids.len()) * dim].to_vec())
                        .collect(),
                )
            }
        };
        let n_tags = self.tags.len();
        let mut flat = vec![0f32; batch.len() * len * n_tags];
        let n = flat.len();
        probs.f_copy_data(&mut flat, n)?;
        let probs = batch
            .iter()
            .enumerate()
            .map(|(k, w)| flat[k * len * n_tags..(k * len + w.ids.len()) * n_tags].to_vec())
            .collect();
        Ok((probs, hidden))
    }

    /// What `pipeline.models` records.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": "transformer",
            "model": self.dir.display().to_string(),
            "base": self.base.display().to_string(),
            "base_fingerprint": self.config.base_fingerprint,
            "labels": self.config.labels,
            "max_len": self.config.max_len,
            "mode": self.config.mode,
            "precision": self.precision.precision,
            "precision_reason": self.precision.reason,
            "int8_path": self.precision.int8_path,
            "lora": self.config.lora,
            "vocab": self.vocab,
            "vocab_rows": self.vocab_rows.unwrap_or(self.vocab_total),
            "dev_micro_f1": self.config.training.get("dev_micro_f1"),
        })
    }
}

/// Runs of words for one document: its sentences' words, consecutive sentences packed together
/// while they fit one window (more context, fewer windows).
struct DocRuns {
    words: Vec<Range<usize>>,
    /// Each run: range into `words`.
    runs: Vec<Range<usize>>,
    /// Each input sentence: range into `words` (empty for sentences without words).
    sentences: Vec<Range<usize>>,
}

/// The transformer model as a pipeline tagger (`source: "model"`).
pub struct ModelTagger {
    model: NerModel,
    name: String,
}

impl ModelTagger {
    pub fn new(model: NerModel) -> ModelTagger {
        ModelTagger { model, name: "model".into() }
    }

    pub fn model(&self) -> &NerModel {
        &self.model
    }

    fn doc_runs(&self, input: TagInput<'_>) -> Result<(DocRuns, Vec<Vec<Vec<u32>>>), ModelError> {
        let whole = [0..input.text.len()];
        let sentences = if input.sentences.is_empty() { &whole[..] } else { input.sentences };
        let budget = self.model.config.max_len - 2;
        let mut words = Vec::new();
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut run_pieces: Vec<Vec<Vec<u32>>> = Vec::new();
        let mut run_len = 0;
        let mut sentence_words = Vec::with_capacity(sentences.len());
        for s in sentences {
            let ws = split_words(input.text, s.clone());
            sentence_words.push(words.len()..words.len() + ws.len());
            if ws.is_empty() {
                continue;
            }
            let strs: Vec<&str> = ws.iter().map(|r| &input.text[r.clone()]).collect();
            let pieces = self.model.tok.pieces(&strs)?;
            let n: usize = pieces.iter().map(|p| p.len()).sum();
            let start = words.len();
            words.extend(ws);
            match (runs.last_mut(), run_pieces.last_mut()) {
                (Some(r), Some(p)) if run_len + n <= budget => {
                    r.end = words.len();
                    p.extend(pieces);
                    run_len += n;
                }
                _ => {
                    runs.push(start..words.len());
                    run_pieces.push(pieces);
                    run_len = n;
                }
            }
        }
        Ok((DocRuns { words, runs, sentences: sentence_words }, run_pieces))
    }

    fn tag_many(&self, inputs: &[TagInput<'_>], with_vectors: bool) -> Result<Vec<Tagged>, ModelError> {
        let mut docs = Vec::with_capacity(inputs.len());
        let mut all_runs = Vec::new();
        // each word's group: its sentence, numbered across the chunk
        let mut word_groups: Vec<Vec<usize>> = Vec::new();
        let mut first_group = Vec::with_capacity(inputs.len());
        let mut n_groups = 0;
        for &input in inputs {
            let (d, pieces) = self.doc_runs(input)?;
            if with_vectors {
                let mut of_word = vec![usize::MAX; d.words.len()];
                for (s, r) in d.sentences.iter().enumerate() {
                    of_word[r.clone()].iter_mut().for_each(|g| *g = n_groups + s);
                }
                word_groups.extend(d.runs.iter().map(|run| of_word[run.clone()].to_vec()));
            }
            first_group.push(n_groups);
            n_groups += d.sentences.len();
            all_runs.extend(pieces);
            docs.push(d);
        }
        let groups = with_vectors.then_some((word_groups.as_slice(), n_groups));
        let (preds, sums) = self.model.predict_runs(&all_runs, groups)?;
        let mut preds = preds.into_iter();
        Ok(docs
            .iter()
            .zip(first_group)
            .map(|(d, g0)| {
                let mut spans = Vec::new();
                for run in &d.runs {
                    let p = preds.next().expect("one prediction per run");
                    for (ws, score) in self.model.spans(&p) {
                        let (a, b) = (d.words[run.start + ws.start].start, d.words[run.start + ws.end - 1].end);
                        spans.push(Span {
                            start_byte: a,
                            end_byte: b,
                            label: ws.label,
                            score,
                            source: Source::Model,
                            canonical: None,
                        });
                    }
                }
                let sentence_vectors =
                    sums.as_ref().map(|s| s[g0..g0 + d.sentences.len()].iter().map(|v| unit(v)).collect());
                Tagged { spans, sentence_vectors }
            })
            .collect())
    }
}

/// Returns free heap pages to the system (glibc `malloc_trim`).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory glibc holds free; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// `v` scaled to unit length (zeros when it is zero or not finite).
fn unit(v: &[f32]) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

impl EntityTagger for ModelTagger {
    fn name(&self) -> &str {
        &self.name
    }

    fn describe(&self) -> serde_json::Value {
        self.model.describe()
    }

    fn batched(&self) -> bool {
        true
    }

    fn tag(&self, input: TagInput<'_>) -> Result<Vec<Span>, NerError> {
        self.tag_batch(&[input]).pop().expect("one result")
    }

    fn tag_batch(&self, inputs: &[TagInput<'_>]) -> Vec<Result<Vec<Span>, NerError>> {
        self.tag_batch_with_vectors(inputs, false).into_iter().map(|r| r.map(|t| t.spans)).collect()
    }

    fn sentence_vectors(&self) -> bool {
        true
    }

    fn tag_batch_with_vectors(&self, inputs: &[TagInput<'_>], with_vectors: bool) -> Vec<Result<Tagged, NerError>> {
        match self.tag_many(inputs, with_vectors) {
            Ok(v) => v.into_iter().map(Ok).collect(),
            Err(e) if inputs.len() > 1 => {
                // find the documents at fault: tag them one by one
                tracing::warn!("batched tagging failed ({e}); retrying document by document");
                inputs.iter().flat_map(|i| self.tag_batch_with_vectors(std::slice::from_ref(i), with_vectors)).collect()
            }
            Err(e) => vec![Err(NerError::Failed { tagger: self.name.clone(), reason: e.to_string() })],
        }
    }
}
