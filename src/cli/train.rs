use crate::ner::model::train::{train, TrainConfig};
use crate::ner::model::LoraSpec;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    #[command(subcommand)]
    pub what: TrainWhat,
}

#[derive(clap::Subcommand, Debug)]
pub enum TrainWhat {
    /// Fine-tune the NER model (LoRA adapters + head over the imported E5 encoder).
    Ner(TrainNerArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainNerArgs {
    /// Training sentences, CoNLL (`token<TAB>tag`, IOB2).
    #[arg(long, value_name = "FILE.conll")]
    pub train: PathBuf,
    /// Dev sentences for model selection and early stopping (never the test file).
    #[arg(long, value_name = "FILE.conll")]
    pub dev: Option<PathBuf>,
    /// Output model folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Imported encoder folder (`vigie models import-e5`).
    #[arg(long, value_name = "DIR", default_value = "models/e5")]
    pub base: PathBuf,
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Sentences per batch.
    #[arg(long, default_value_t = TrainConfig::default().batch)]
    pub batch: usize,
    /// Peak learning rate (adapters and head).
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    pub lr: f64,
    /// What to train: LoRA adapters, or the encoder's projection weights (saved as int8 deltas).
    #[arg(long, value_enum, default_value = "lora")]
    pub mode: crate::ner::model::TrainMode,
    /// LoRA rank.
    #[arg(long, default_value_t = LoraSpec::default().rank)]
    pub rank: i64,
    /// LoRA alpha (scale = alpha / rank).
    #[arg(long, default_value_t = LoraSpec::default().alpha)]
    pub alpha: f64,
    /// Window length in subword tokens (special tokens included).
    #[arg(long, default_value_t = TrainConfig::default().max_len)]
    pub max_len: usize,
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Evaluate on dev and checkpoint every N steps (default: twice per epoch).
    #[arg(long, default_value_t = 0)]
    pub eval_every: usize,
    /// Stop after this many evaluations without a better dev F1.
    #[arg(long, default_value_t = TrainConfig::default().patience)]
    pub patience: usize,
    /// Train on the first N sentences only.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Continue from OUT/checkpoint.safetensors.
    #[arg(long)]
    pub resume: bool,
    /// libtorch threads.
    #[arg(short = 'j', long, default_value_t = TrainConfig::default().threads)]
    pub threads: usize,
}

pub fn run(a: TrainArgs) -> anyhow::Result<i32> {
    let TrainWhat::Ner(a) = a.what;
    let cfg = TrainConfig {
        train: a.train,
        dev: a.dev,
        base: a.base,
        out: a.out,
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        max_len: a.max_len,
        lora: LoraSpec { rank: a.rank, alpha: a.alpha },
        mode: a.mode,
        seed: a.seed,
        eval_every: a.eval_every,
        patience: a.patience,
        limit: a.limit,
        resume: a.resume,
        threads: a.threads,
        progress: std::io::stderr().is_terminal(),
        ..TrainConfig::default()
    };
    let report = train(&cfg)?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(super::exit::OK)
}
