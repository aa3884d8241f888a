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
    /// Make CoNLL training data with the conflict labels: relabel a CoNLL file with the
    /// lexicons (ORG → ARMED_GROUP, MISC → WEAPON, lexicon armed groups/weapons added, held-out
    /// entries' sentences dropped), or turn gold JSONL paragraphs into CoNLL sentences.
    Silver(SilverArgs),
}

#[derive(clap::Args, Debug)]
pub struct SilverArgs {
    /// CoNLL (`token<TAB>tag`) to relabel, or gold JSONL {"id","text","entities"} to convert.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Output CoNLL file.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Hold out lexicon entries whose id hash is 0 modulo N (0 = none); their sentences are dropped.
    #[arg(long, default_value_t = crate::ner::model::silver::SilverConfig::default().holdout_every)]
    pub holdout_every: u64,
    /// Lexicon folder (default: the built-in models/lexicons).
    #[arg(long, value_name = "DIR")]
    pub lexicons: Option<PathBuf>,
    /// Instead of reading --input, generate this many synthetic sentences from frames, the
    /// lexicons (held-out entries excluded) and invented group names; --input is then ignored.
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
    /// Seed of --synthetic.
    #[arg(long, default_value_t = 13)]
    pub seed: u64,
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
    /// Start from this trained model (same base, mode full): its weights, and its head rows for
    /// the tags both share; new labels start from a related tag's rows (ARMED_GROUP from ORG,
    /// WEAPON from MISC).
    #[arg(long, value_name = "DIR")]
    pub init: Option<PathBuf>,
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

fn silver(a: SilverArgs) -> anyhow::Result<i32> {
    use crate::ner::model::silver::{jsonl_to_conll, relabel_conll, synthetic_jsonl, SilverConfig};
    let lexicon = || -> anyhow::Result<crate::domain::lexicon::Lexicon> {
        Ok(match &a.lexicons {
            Some(d) => crate::domain::lexicon::Lexicon::load_dir(d)?,
            None => crate::domain::lexicon::Lexicon::builtin()?,
        })
    };
    let text = match a.synthetic {
        Some(n) => synthetic_jsonl(&lexicon()?, n, a.seed, a.holdout_every),
        None => std::fs::read_to_string(&a.input).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?,
    };
    let is_jsonl = text.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with('{'));
    let out = if is_jsonl {
        let (out, n) = jsonl_to_conll(&text).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?;
        println!("{}: {n} gold sentences", a.input.display());
        out
    } else {
        let lex = lexicon()?;
        let cfg = SilverConfig { holdout_every: a.holdout_every };
        let (out, st) = relabel_conll(&lex, &text, &cfg).map_err(|e| anyhow::anyhow!("{}: {e}", a.input.display()))?;
        println!("{}", serde_json::to_string(&st)?);
        out
    };
    std::fs::write(&a.out, out).map_err(|e| anyhow::anyhow!("{}: {e}", a.out.display()))?;
    Ok(super::exit::OK)
}

pub fn run(a: TrainArgs) -> anyhow::Result<i32> {
    let a = match a.what {
        TrainWhat::Ner(a) => a,
        TrainWhat::Silver(s) => return silver(s),
    };
    let cfg = TrainConfig {
        init: a.init,
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
