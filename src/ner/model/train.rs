//! `vigie train ner`: fine-tunes LoRA adapters, biases, layer norms and a BIO head over the
//! frozen imported encoder, with tch autograd (AdamW, linear warm-up and decay, gradient
//! clipping, dropout 0.1). Deterministic for a given seed and thread count: batches are drawn
//! from a seeded generator, and tch's generator is seeded.
//!
//! Files written to the output folder:
//! - `adapter.safetensors` + `ner_config.json`: the best model on the dev set so far (or the last
//!   one when there is no dev set);
//! - `checkpoint.safetensors` + `checkpoint.json`: the latest state, for `--resume`;
//! - `train_log.jsonl`: one line per evaluation (step, epoch, loss, dev scores, seconds).

use super::data::conll_labels;
use super::net::{quantize_delta, read_dims, Net, TrainMode, TARGETS};
use super::windows::windows;
use super::{
    base_files, base_fingerprint, read_conll_sentences, LoraSpec, ModelError, NerConfig, Sentence, TagSet, WordSpan,
    WordTokenizer, ADAPTER_FILE, FORMAT,
};
use crate::doc::Label;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tch::{nn, nn::OptimizerConfig, Device, Tensor};

/// Training settings (`Default` = the settings models/ner-fr was trained with).
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub train: PathBuf,
    pub dev: Option<PathBuf>,
    /// Imported encoder folder.
    pub base: PathBuf,
    pub out: PathBuf,
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
    /// Fraction of steps with linear warm-up.
    pub warmup: f64,
    pub max_len: usize,
    pub lora: LoraSpec,
    pub mode: TrainMode,
    pub seed: u64,
    /// Evaluate (and checkpoint) every N steps; 0 = twice per epoch.
    pub eval_every: usize,
    /// Stop after this many evaluations without a better dev F1.
    pub patience: usize,
    /// Use only the first N training sentences.
    pub limit: Option<usize>,
    pub resume: bool,
    pub threads: usize,
    pub progress: bool,
    /// Start from this trained model folder (see [`init_from`]).
    pub init: Option<PathBuf>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            train: PathBuf::new(),
            dev: None,
            base: PathBuf::from("models/e5"),
            out: PathBuf::from("models/ner-fr"),
            epochs: 4,
            batch: 16,
            lr: 6e-4,
            warmup: 0.06,
            max_len: 128,
            lora: LoraSpec::default(),
            mode: TrainMode::Lora,
            seed: 13,
            init: None,
            eval_every: 0,
            patience: 3,
            limit: None,
            resume: false,
            threads: 2,
            progress: true,
        }
    }
}

/// What a training run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainReport {
    pub steps: usize,
    pub epochs_run: f64,
    pub best_step: usize,
    pub best_dev_f1: Option<f64>,
    pub seconds: f64,
    pub sentences: usize,
}

/// Micro precision, recall and F1 of exact word spans.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct SpanScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl SpanScores {
    pub fn from_counts(tp: usize, pred: usize, gold: usize) -> SpanScores {
        let p = if pred == 0 { 0.0 } else { tp as f64 / pred as f64 };
        let r = if gold == 0 { 0.0 } else { tp as f64 / gold as f64 };
        let f1 = if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) };
        SpanScores { precision: p, recall: r, f1 }
    }
}

/// SplitMix64: small, seeded, reproducible everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// A sentence ready for the encoder: token ids and per-token targets (-100 = not scored).
struct Example {
    ids: Vec<i64>,
    targets: Vec<i64>,
}

fn encode(tok: &WordTokenizer, s: &Sentence, max_len: usize) -> Result<(Example, Vec<Option<usize>>), ModelError> {
    let pieces = tok.pieces(&s.words)?;
    // training sees each sentence in one window (cut at max_len); words beyond are not scored
    let w = windows(&pieces, max_len, tok.specials)
        .into_iter()
        .next()
        .unwrap_or(super::Window { ids: vec![tok.specials.cls, tok.specials.sep], firsts: Vec::new() });
    let mut targets = vec![-100i64; w.ids.len()];
    let mut pos = vec![None; s.words.len()];
    for &(word, p) in &w.firsts {
        targets[p] = s.tags[word] as i64;
        pos[word] = Some(p);
    }
    Ok((Example { ids: w.ids, targets }, pos))
}

fn batch_tensors(examples: &[&Example], pad: i64) -> (Tensor, Tensor, Tensor) {
    let len = examples.iter().map(|e| e.ids.len()).max().unwrap_or(2);
    let (mut ids, mut mask, mut tgt) = (Vec::new(), Vec::new(), Vec::new());
    for e in examples {
        let n = e.ids.len();
        ids.extend_from_slice(&e.ids);
        ids.extend(std::iter::repeat(pad).take(len - n));
        mask.extend(std::iter::repeat(1i64).take(n));
        mask.extend(std::iter::repeat(0i64).take(len - n));
        tgt.extend_from_slice(&e.targets);
        tgt.extend(std::iter::repeat(-100i64).take(len - n));
    }
    let shape = [examples.len() as i64, len as i64];
    (Tensor::from_slice(&ids).view(shape), Tensor::from_slice(&mask).view(shape), Tensor::from_slice(&tgt).view(shape))
}

/// Batches for one epoch: shuffled, then sorted by length within pools of 50 batches (less
/// padding), then the batches shuffled.
fn epoch_batches(lens: &[usize], batch: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let mut rng = Rng(seed ^ (epoch as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut order: Vec<usize> = (0..lens.len()).collect();
    rng.shuffle(&mut order);
    let mut batches = Vec::new();
    for pool in order.chunks(batch * 50) {
        let mut pool = pool.to_vec();
        pool.sort_by_key(|&i| lens[i]);
        batches.extend(pool.chunks(batch).map(|c| c.to_vec()));
    }
    rng.shuffle(&mut batches);
    batches
}

/// Loads the frozen base weights into a name → tensor map.
fn load_base(path: &Path) -> Result<HashMap<String, Tensor>, ModelError> {
    let named = Tensor::read_safetensors(path).map_err(|e| ModelError::invalid(path, e))?;
    Ok(named.into_iter().map(|(n, t)| (n, t.set_requires_grad(false))).collect())
}

/// Scores a network on tagged sentences (exact word spans, micro-averaged).
fn evaluate(
    net: &Net,
    tok: &WordTokenizer,
    tags: &TagSet,
    sents: &[Sentence],
    max_len: usize,
) -> Result<SpanScores, ModelError> {
    let encoded: Vec<(Example, Vec<Option<usize>>)> =
        sents.iter().map(|s| encode(tok, s, max_len)).collect::<Result<_, _>>()?;
    let mut order: Vec<usize> = (0..sents.len()).collect();
    order.sort_by_key(|&i| encoded[i].0.ids.len());
    let (mut tp, mut n_pred, mut n_gold) = (0, 0, 0);
    tch::no_grad(|| -> Result<(), ModelError> {
        for chunk in order.chunks(64) {
            let ex: Vec<&Example> = chunk.iter().map(|&i| &encoded[i].0).collect();
            let (ids, mask, _) = batch_tensors(&ex, tok.specials.pad);
            let pred = net.forward(&ids, &mask, false).argmax(-1, false);
            let (b, l) = pred.size2()?;
            let mut flat = vec![0i64; (b * l) as usize];
            pred.f_copy_data(&mut flat, (b * l) as usize)?;
            for (row, &i) in chunk.iter().enumerate() {
                let pos = &encoded[i].1;
                let words: Vec<usize> =
                    pos.iter().map(|p| p.map_or(0, |p| flat[row * l as usize + p] as usize)).collect();
                let gold: HashSet<WordSpan> = tags.decode(&sents[i].tags).into_iter().collect();
                let pred: Vec<WordSpan> = tags.decode(&words);
                tp += pred.iter().filter(|s| gold.contains(s)).count();
                n_pred += pred.len();
                n_gold += gold.len();
            }
        }
        Ok(())
    })?;
    Ok(SpanScores::from_counts(tp, n_pred, n_gold))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    step: usize,
    best_step: usize,
    best_f1: Option<f64>,
    bad_evals: usize,
    fingerprint: String,
}

/// Trains and writes the model folder. Progress goes to stderr.
pub fn train(cfg: &TrainConfig) -> Result<TrainReport, ModelError> {
    let t0 = Instant::now();
    tch::set_num_threads(cfg.threads.max(1) as i32);
    tch::manual_seed(cfg.seed as i64);
    let files = base_files(&cfg.base)?;
    let fingerprint = base_fingerprint(&cfg.base)?;
    let base_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&files.config)
            .map_err(|source| ModelError::Io { path: files.config.clone(), source })?,
    )
    .map_err(|e| ModelError::invalid(&files.config, e))?;
    let dims = read_dims(&base_json).map_err(|m| ModelError::invalid(&files.config, m))?;
    if cfg.max_len < 8 || cfg.max_len as i64 > dims.max_positions.min(512) {
        return Err(ModelError::invalid(&cfg.train, format!("max_len {} outside 8..=512", cfg.max_len)));
    }
    let labels = conll_labels(&cfg.train)?;
    if labels.is_empty() {
        return Err(ModelError::invalid(&cfg.train, "no entity tags in the training file"));
    }
    let tags = TagSet::new(&labels);
    let mut train = read_conll_sentences(&cfg.train, &tags)?;
    if let Some(n) = cfg.limit {
        train.truncate(n);
    }
    if train.is_empty() {
        return Err(ModelError::invalid(&cfg.train, "no sentences"));
    }
    let dev = match &cfg.dev {
        Some(p) => read_conll_sentences(p, &tags)?,
        None => Vec::new(),
    };
    let tok = WordTokenizer::load(&files.tokenizer)?;
    let examples: Vec<Example> =
        train.iter().map(|s| encode(&tok, s, cfg.max_len).map(|e| e.0)).collect::<Result<_, _>>()?;
    let lens: Vec<usize> = examples.iter().map(|e| e.ids.len()).collect();

    let base = load_base(&files.weights)?;
    let mut vs = nn::VarStore::new(Device::Cpu);
    let net = Net::new(&vs, &base, dims, cfg.lora, cfg.mode, tags.len() as i64)
        .map_err(|m| ModelError::invalid(&files.weights, m))?;
    if let Some(init) = &cfg.init {
        let n = init_from(&mut vs, &base, init, &fingerprint, cfg.mode, &tags)?;
        eprintln!("train ner: initialised {n} tensors from {}", init.display());
    }
    let trainable: i64 = vs.trainable_variables().iter().map(|t| t.numel() as i64).sum();
    eprintln!(
        "train ner: {} sentences ({} tokens), dev {}, tags {:?}, {} trainable parameters, mode {:?}, LoRA r={} alpha={}",
        train.len(),
        lens.iter().sum::<usize>(),
        dev.len(),
        tags.names(),
        trainable,
        cfg.mode,
        cfg.lora.rank,
        cfg.lora.alpha
    );
    std::fs::create_dir_all(&cfg.out).map_err(|source| ModelError::Io { path: cfg.out.clone(), source })?;
    let ckpt_path = cfg.out.join("checkpoint.safetensors");
    let ckpt_state = cfg.out.join("checkpoint.json");
    let mut state = Checkpoint { step: 0, best_step: 0, best_f1: None, bad_evals: 0, fingerprint: fingerprint.clone() };
    if cfg.resume && ckpt_state.is_file() {
        let s: Checkpoint = serde_json::from_str(
            &std::fs::read_to_string(&ckpt_state)
                .map_err(|source| ModelError::Io { path: ckpt_state.clone(), source })?,
        )
        .map_err(|e| ModelError::invalid(&ckpt_state, e))?;
        if s.fingerprint != fingerprint {
            return Err(ModelError::invalid(&ckpt_state, "checkpoint was made from another base encoder"));
        }
        vs.load(&ckpt_path).map_err(|e| ModelError::invalid(&ckpt_path, e))?;
        eprintln!("train ner: resuming at step {} (optimizer moments restart)", s.step);
        state = s;
    }

    let steps_per_epoch = examples.len().div_ceil(cfg.batch.max(1));
    let total = steps_per_epoch * cfg.epochs.max(1);
    let warmup = ((total as f64 * cfg.warmup) as usize).max(1);
    let eval_every = if cfg.eval_every > 0 { cfg.eval_every } else { steps_per_epoch.div_ceil(2) };
    let mut opt = nn::AdamW { wd: 0.0, ..nn::adamw(0.9, 0.999, 0.0) }.build(&vs, cfg.lr)?;
    let lr_at = |step: usize| {
        if step < warmup {
            cfg.lr * (step + 1) as f64 / warmup as f64
        } else {
            cfg.lr * (total.saturating_sub(step)) as f64 / (total - warmup).max(1) as f64
        }
    };
    let bar = if cfg.progress {
        indicatif::ProgressBar::new(total as u64).with_style(
            indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps, ETA {eta} {msg}")
                .expect("valid template"),
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_position(state.step as u64);
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cfg.out.join("train_log.jsonl"))
        .map_err(|source| ModelError::Io { path: cfg.out.join("train_log.jsonl"), source })?;
    let mut loss_sum = 0.0;
    let mut loss_n = 0usize;
    let mut step = 0usize;
    let mut stopped_early = false;
    'epochs: for epoch in 0..cfg.epochs.max(1) {
        for batch in epoch_batches(&lens, cfg.batch.max(1), cfg.seed, epoch) {
            if step < state.step {
                step += 1;
                continue;
            }
            let ex: Vec<&Example> = batch.iter().map(|&i| &examples[i]).collect();
            let (ids, mask, tgt) = batch_tensors(&ex, tok.specials.pad);
            let logits = net.forward(&ids, &mask, true);
            let n_tags = tags.len() as i64;
            let loss = logits.view([-1, n_tags]).cross_entropy_loss::<Tensor>(
                &tgt.view([-1]),
                None,
                tch::Reduction::Mean,
                -100,
                0.0,
            );
            opt.set_lr(lr_at(step));
            opt.backward_step_clip_norm(&loss, 1.0);
            let l = loss.double_value(&[]);
            loss_sum += l;
            loss_n += 1;
            step += 1;
            bar.inc(1);
            if step % 20 == 0 {
                bar.set_message(format!("loss {:.4}", loss_sum / loss_n as f64));
                if !cfg.progress && step % 200 == 0 {
                    eprintln!(
                        "train ner: step {step}/{total} loss {:.4} ({:.0} s)",
                        loss_sum / loss_n as f64,
                        t0.elapsed().as_secs_f64()
                    );
                }
            }
            if step % eval_every == 0 || step == total {
                let scores = if dev.is_empty() { None } else { Some(evaluate(&net, &tok, &tags, &dev, cfg.max_len)?) };
                let better = match (scores, state.best_f1) {
                    (Some(s), Some(b)) => s.f1 > b,
                    _ => true,
                };
                if better {
                    state.best_f1 = scores.map(|s| s.f1);
                    state.best_step = step;
                    state.bad_evals = 0;
                    save_model(&vs, &base, cfg, &tags, &fingerprint, &state, train.len())?;
                } else {
                    state.bad_evals += 1;
                }
                state.step = step;
                vs.save(&ckpt_path).map_err(|e| ModelError::invalid(&ckpt_path, e))?;
                std::fs::write(&ckpt_state, serde_json::to_string(&state).expect("json"))
                    .map_err(|source| ModelError::Io { path: ckpt_state.clone(), source })?;
                let line = serde_json::json!({
                    "step": step, "epoch": step as f64 / steps_per_epoch as f64,
                    "loss": loss_sum / loss_n.max(1) as f64, "lr": lr_at(step.min(total - 1)),
                    "dev": scores, "best": better, "seconds": t0.elapsed().as_secs_f64(),
                });
                let _ = writeln!(log, "{line}");
                bar.suspend(|| eprintln!("train ner: {line}"));
                loss_sum = 0.0;
                loss_n = 0;
                if state.bad_evals >= cfg.patience.max(1) {
                    stopped_early = true;
                    break 'epochs;
                }
            }
        }
    }
    bar.finish_and_clear();
    if stopped_early {
        eprintln!("train ner: early stop after {} evaluations without improvement", state.bad_evals);
    }
    Ok(TrainReport {
        steps: step,
        epochs_run: step as f64 / steps_per_epoch as f64,
        best_step: state.best_step,
        best_dev_f1: state.best_f1,
        seconds: t0.elapsed().as_secs_f64(),
        sentences: train.len(),
    })
}

/// The label whose head rows a new label starts from.
fn related_label(l: Label) -> Option<Label> {
    match l {
        Label::ArmedGroup => Some(Label::Org),
        Label::Weapon => Some(Label::Misc),
        _ => None,
    }
}

/// Loads a trained model's weights into `vs`: full-mode projection deltas (added to the base
/// weights), biases, layer norms, and the head rows of the tags both tag sets share (a new label
/// starts from [`related_label`]'s rows). Returns the number of tensors set.
pub fn init_from(
    vs: &mut nn::VarStore,
    base: &HashMap<String, Tensor>,
    dir: &Path,
    fingerprint: &str,
    mode: TrainMode,
    tags: &TagSet,
) -> Result<usize, ModelError> {
    let conf = super::NerConfig::read(dir)?;
    if conf.base_fingerprint != fingerprint {
        return Err(ModelError::invalid(dir, "--init model was trained on another base encoder"));
    }
    if conf.mode != TrainMode::Full || mode != TrainMode::Full {
        return Err(ModelError::invalid(dir, "--init needs a full-mode model and --mode full"));
    }
    let old_tags = TagSet::new(&conf.labels);
    let path = dir.join(ADAPTER_FILE);
    let saved: HashMap<String, Tensor> =
        Tensor::read_safetensors(&path).map_err(|e| ModelError::invalid(&path, e))?.into_iter().collect();
    let mut vars = vs.variables();
    let mut set = 0;
    tch::no_grad(|| -> Result<(), ModelError> {
        for (name, var) in vars.iter_mut() {
            let value = if let Some(p) = name.strip_suffix(".weight").filter(|_| !name.starts_with("classifier")) {
                match (saved.get(&format!("{p}.delta_q")), saved.get(&format!("{p}.delta_scale")), base.get(name)) {
                    (Some(q), Some(sc), Some(b)) => Some(b + super::net::dequantize_delta(q, sc)),
                    _ => saved.get(name).map(|t| t.shallow_clone()),
                }
            } else if name.starts_with("classifier") {
                // rows by tag name
                let Some(old) = saved.get(name) else { continue };
                let new = var.detach().copy();
                for t in 0..tags.len() {
                    let want = tags.name(t);
                    let from = (0..old_tags.len()).find(|&o| old_tags.name(o) == want).or_else(|| {
                        let (b, l) = tags.split(t)?;
                        let r = related_label(l)?;
                        let alt = format!("{}-{}", if b { "B" } else { "I" }, r.as_str());
                        (0..old_tags.len()).find(|&o| old_tags.name(o) == alt)
                    });
                    if let Some(o) = from {
                        new.get(t as i64).copy_(&old.get(o as i64));
                    }
                }
                Some(new)
            } else {
                saved.get(name).map(|t| t.shallow_clone())
            };
            if let Some(v) = value {
                if v.size() != var.size() {
                    return Err(ModelError::invalid(
                        &path,
                        format!("{name}: shape {:?} != {:?}", v.size(), var.size()),
                    ));
                }
                var.copy_(&v.to_kind(var.kind()));
                set += 1;
            }
        }
        Ok(())
    })?;
    Ok(set)
}

fn save_model(
    vs: &nn::VarStore,
    base: &HashMap<String, Tensor>,
    cfg: &TrainConfig,
    tags: &TagSet,
    fingerprint: &str,
    state: &Checkpoint,
    sentences: usize,
) -> Result<(), ModelError> {
    let adapter = cfg.out.join(ADAPTER_FILE);
    let tmp = cfg.out.join(format!("{ADAPTER_FILE}.tmp.safetensors"));
    // sorted names: the same training run writes the same bytes
    let mut named: Vec<(String, Tensor)> = Vec::new();
    let mut vars: Vec<(String, Tensor)> = vs.variables().into_iter().collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, t) in vars {
        let projection = name.strip_suffix(".weight").filter(|p| TARGETS.iter().any(|t| p.ends_with(t)));
        match (cfg.mode, projection, base.get(&name)) {
            (TrainMode::Full, Some(p), Some(b)) => {
                let (q, scale) = quantize_delta(&t, b);
                named.push((format!("{p}.delta_q"), q));
                named.push((format!("{p}.delta_scale"), scale));
            }
            _ => named.push((name, t.detach())),
        }
    }
    Tensor::write_safetensors(&named, &tmp).map_err(|e| ModelError::invalid(&tmp, e))?;
    std::fs::rename(&tmp, &adapter).map_err(|source| ModelError::Io { path: adapter.clone(), source })?;
    let base_name = cfg.base.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "e5".into());
    let conf = NerConfig {
        format: FORMAT.into(),
        base: base_name,
        base_fingerprint: fingerprint.into(),
        labels: tags.labels().to_vec(),
        mode: cfg.mode,
        lora: cfg.lora,
        max_len: cfg.max_len,
        training: serde_json::json!({
            "train": cfg.train.file_name().map(|s| s.to_string_lossy().into_owned()),
            "dev": cfg.dev.as_ref().and_then(|d| d.file_name()).map(|s| s.to_string_lossy().into_owned()),
            "sentences": sentences,
            "epochs": cfg.epochs, "batch": cfg.batch, "lr": cfg.lr, "warmup": cfg.warmup,
            "seed": cfg.seed, "dropout": 0.1, "optimizer": "AdamW (no weight decay), grad-norm clip 1.0",
            "best_step": state.best_step, "dev_micro_f1": state.best_f1,
        }),
    };
    conf.write(&cfg.out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Label;
    use crate::ner::model::NerModel;

    #[test]
    fn batches_cover_every_sentence_once_and_are_reproducible() {
        let lens: Vec<usize> = (0..1000).map(|i| 5 + (i * 7919) % 97).collect();
        let a = epoch_batches(&lens, 16, 13, 0);
        assert_eq!(a, epoch_batches(&lens, 16, 13, 0));
        assert_ne!(a, epoch_batches(&lens, 16, 13, 1));
        let mut all: Vec<usize> = a.concat();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert!(a.iter().all(|b| !b.is_empty() && b.len() <= 16));
    }

    /// The training network (own tch forward with unmerged adapters) and the inference model
    /// (rust-bert with merged adapters) compute the same probabilities.
    #[test]
    fn training_network_and_merged_rust_bert_model_agree_lora() {
        network_and_merged_model_agree(TrainMode::Lora, 1e-4);
    }

    #[test]
    fn training_network_and_merged_rust_bert_model_agree_full() {
        // int8 weight differences: close, not bit-equal
        network_and_merged_model_agree(TrainMode::Full, 2e-3);
    }

    fn network_and_merged_model_agree(mode: TrainMode, tolerance: f32) {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/e5");
        if !base.join("model.safetensors").is_file() {
            eprintln!("skipped: {} not imported (run scripts/setup.sh)", base.display());
            return;
        }
        tch::manual_seed(7);
        let files = base_files(&base).unwrap();
        let conf: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files.config).unwrap()).unwrap();
        let dims = read_dims(&conf).unwrap();
        let tags = TagSet::new(&[Label::Person, Label::Org, Label::Location, Label::Misc]);
        let lora = LoraSpec { rank: 4, alpha: 8.0 };
        let vs = nn::VarStore::new(Device::Cpu);
        let base_w = load_base(&files.weights).unwrap();
        let net = Net::new(&vs, &base_w, dims, lora, mode, tags.len() as i64).unwrap();
        tch::no_grad(|| {
            for (name, t) in vs.variables() {
                if name.ends_with("lora_b") || name.ends_with("LayerNorm.bias") || name.ends_with("query.weight") {
                    let _ = t.shallow_clone().f_add_(&(t.randn_like() * 0.02)).unwrap();
                }
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m");
        std::fs::create_dir_all(&out).unwrap();
        vs.save(out.join(ADAPTER_FILE)).unwrap();
        let cfg = TrainConfig { base: base.clone(), out: out.clone(), lora, mode, ..TrainConfig::default() };
        let state = Checkpoint { step: 0, best_step: 0, best_f1: None, bad_evals: 0, fingerprint: String::new() };
        save_model(&vs, &base_w, &cfg, &tags, &base_fingerprint(&base).unwrap(), &state, 0).unwrap();
        let model = NerModel::load(&out, Some(&base)).unwrap();

        let sents: Vec<Vec<&str>> = vec![
            "L' armée malienne a repris Kidal en novembre 2023 .".split(' ').collect(),
            "Le Front de libération de l' Azawad ( FLA ) revendique l' embuscade près d' Aguelhoc ."
                .split(' ')
                .collect(),
        ];
        // the training network reads the full vocabulary; the loaded model its pruned rows
        let full_tok = WordTokenizer::load(&files.tokenizer).unwrap();
        let tok = &full_tok;
        let ex: Vec<Example> = sents
            .iter()
            .map(|s| {
                let s = Sentence { words: s.iter().map(|w| w.to_string()).collect(), tags: vec![0; s.len()] };
                encode(tok, &s, 128).unwrap().0
            })
            .collect();
        let refs: Vec<&Example> = ex.iter().collect();
        let (ids, mask, _) = batch_tensors(&refs, tok.specials.pad);
        let expect = tch::no_grad(|| net.forward(&ids, &mask, false).softmax(-1, tch::Kind::Float));
        let got = model.predict_words(&sents).unwrap();
        let mut worst = 0f32;
        for (b, s) in sents.iter().enumerate() {
            let pieces = tok.pieces(s).unwrap();
            let mut pos = 1;
            for (w, p) in pieces.iter().enumerate() {
                let row: Vec<f32> = Vec::<f32>::try_from(expect.get(b as i64).get(pos as i64)).unwrap();
                let (tag, &prob) = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
                // the same tag, unless two tags are tied within the int8 rounding error (the
                // random head of this test makes near-ties possible)
                assert!(
                    got[b][w].tag == tag || (prob - row[got[b][w].tag]).abs() < tolerance,
                    "sentence {b} word {w}: tag {} vs {tag} (p {} vs {prob})",
                    got[b][w].tag,
                    row[got[b][w].tag]
                );
                worst = worst.max((got[b][w].prob - prob).abs());
                pos += p.len();
            }
        }
        assert!(worst < tolerance, "probabilities differ by {worst}");
        assert_eq!(model.config().mode, mode);
    }
}
