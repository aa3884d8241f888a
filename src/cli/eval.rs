use super::exit;
use crate::eval::ner;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub task: EvalTask,
}

#[derive(clap::Subcommand, Debug)]
pub enum EvalTask {
    /// Exact-span NER scores (precision, recall, F1 per label and micro) of predictions against
    /// gold; CoNLL or JSONL, in any combination.
    Ner(NerArgs),
    /// BLEU and chrF (sacreBLEU definitions) of French→English translation of --src against
    /// --ref, or of a ready translation given with --hyp.
    Mt(MtArgs),
}

/// Translation backends `eval mt` can run.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TranslatorChoice {
    Apertium,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("hypotheses").required(true).args(["src", "hyp"])))]
pub struct MtArgs {
    /// French source, one sentence per line (translated with --translator).
    #[arg(long, value_name = "FILE")]
    pub src: Option<PathBuf>,
    /// English translations already made, one per line (scored as they are).
    #[arg(long, value_name = "FILE")]
    pub hyp: Option<PathBuf>,
    /// English reference, line-aligned.
    #[arg(long = "ref", value_name = "FILE")]
    pub reference: PathBuf,
    /// Translation backend for --src.
    #[arg(long, value_enum, default_value = "apertium")]
    pub translator: TranslatorChoice,
    /// Translate without protecting lexicon entities (to measure what protection changes).
    #[arg(long)]
    pub no_protect: bool,
    /// Score only the first N lines.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Write the translations here, one per line.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("predictions").required(true).args(["pred"])))]
pub struct NerArgs {
    /// Gold annotations: CoNLL (token TAG, BIO) or JSONL {"id","text","entities":[{"start","end","label"}]}.
    #[arg(long, value_name = "FILE")]
    pub gold: PathBuf,
    /// Predictions, same formats, over the same text.
    #[arg(long, value_name = "FILE")]
    pub pred: Option<PathBuf>,
}

pub fn run(a: EvalArgs) -> anyhow::Result<i32> {
    match a.task {
        EvalTask::Ner(n) => ner_run(n),
        EvalTask::Mt(m) => mt_run(m),
    }
}

fn read_lines(p: &std::path::Path, limit: Option<usize>) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    Ok(text.lines().take(limit.unwrap_or(usize::MAX)).map(str::to_string).collect())
}

fn mt_run(a: MtArgs) -> anyhow::Result<i32> {
    use crate::translate::{apertium::ApertiumTranslator, translate_sentences, Translator};
    let refs = read_lines(&a.reference, a.limit)?;
    let started = std::time::Instant::now();
    let (hyps, label) = match (&a.src, &a.hyp) {
        (_, Some(h)) => (read_lines(h, a.limit)?, format!("hypotheses {}", h.display())),
        (Some(src), None) => {
            let src = read_lines(src, a.limit)?;
            let tr: Box<dyn Translator> = match a.translator {
                TranslatorChoice::Apertium => Box::new(ApertiumTranslator::new(Default::default())?),
            };
            let annotator = if a.no_protect { None } else { Some(crate::pipeline::default_annotator(None)?) };
            let (out, stats) = translate_sentences(tr.as_ref(), &src, annotator.as_ref())?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "translator: {} | entity protection: {} | {} sentences in {:.2}s = {:.0} sentences/s",
                tr.id(),
                if a.no_protect {
                    "off".to_string()
                } else {
                    format!("{} protected, {} restored", stats.protected, stats.restored)
                },
                src.len(),
                secs,
                src.len() as f64 / secs.max(1e-9)
            );
            (out, tr.id().to_string())
        }
        (None, None) => anyhow::bail!("give --src or --hyp"),
    };
    if let Some(p) = &a.save {
        std::fs::write(p, hyps.join("\n") + "\n").map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    }
    let s = crate::eval::mt::score(&hyps, &refs)?;
    println!("system: {label}");
    println!(
        "BLEU={:.2} (precisions {:.1}/{:.1}/{:.1}/{:.1}, BP={:.3}, sys_len={}, ref_len={}) segments={}",
        s.bleu,
        s.precisions[0],
        s.precisions[1],
        s.precisions[2],
        s.precisions[3],
        s.bp,
        s.sys_len,
        s.ref_len,
        s.segments
    );
    println!("chrF={:.2}", s.chrf);
    Ok(exit::OK)
}

fn ner_run(a: NerArgs) -> anyhow::Result<i32> {
    let gold = ner::read(&a.gold)?;
    let pred = match &a.pred {
        Some(p) => ner::read(p)?,
        None => anyhow::bail!("--pred is required"),
    };
    print!("{}", ner::score(&gold, &pred)?.table());
    Ok(exit::OK)
}
