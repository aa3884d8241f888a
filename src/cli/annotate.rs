use super::exit;
use crate::ingest::IngestOptions;
use crate::pipeline::{self, RunOptions};
use anyhow::Context;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

#[derive(clap::Args, Debug)]
pub struct AnnotateArgs {
    /// Inputs: .jsonl/.ndjson files (one {"id","text",...} per line), .txt files (one document
    /// each, id = file name), directories (recursive, sorted), or - for JSONL on stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output JSONL file (default: stdout).
    #[arg(short, long, value_name = "OUT.jsonl")]
    pub output: Option<PathBuf>,
    /// Errors file, one JSON line per rejected or changed document (default: OUT.errors.jsonl
    /// next to -o, or stderr when writing to stdout).
    #[arg(long, value_name = "ERR.jsonl")]
    pub errors: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Continue an interrupted run into the same -o file: nothing lost, nothing duplicated.
    #[arg(long)]
    pub resume: bool,
    /// No progress bar and no final report.
    #[arg(short, long)]
    pub quiet: bool,
    /// Largest accepted document text in bytes; larger documents go to the errors file.
    #[arg(long, default_value_t = IngestOptions::default().max_doc_bytes, value_name = "BYTES")]
    pub max_doc_bytes: u64,
    /// Load lexicons from this folder instead of the built-in copy of models/lexicons.
    #[arg(long, value_name = "DIR")]
    pub lexicons: Option<PathBuf>,
    /// Process only shard I of N (0-based; documents whose id hashes there), e.g. one Kubernetes
    /// indexed Job or Slurm array task each; with --resume a failed shard is simply rerun.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::ingest::Shard>,
    /// After the run, also write the HTML report of the output file here (needs -o).
    #[arg(long, value_name = "REPORT.html", requires = "output")]
    pub html: Option<PathBuf>,
    /// Also tag with this transformer NER model folder (e.g. models/ner-fr): persons,
    /// organisations, places and other names beyond the lexicons (`source: "model"`).
    #[arg(long, value_name = "DIR", env = "VIGIE_NER_MODEL")]
    pub ner_model: Option<PathBuf>,
    /// Base encoder folder for --ner-model (default: the one named in its ner_config.json,
    /// e.g. models/e5 next to models/ner-fr).
    #[arg(long, value_name = "DIR", requires = "ner_model")]
    pub ner_base: Option<PathBuf>,
    /// Precision of the NER model's encoder: auto (int8 wherever fbgemm runs it faster at the
    /// same F1, i.e. CPUs with AVX2; fp32 elsewhere), int8 (every projection int8 through fbgemm; needs
    /// AVX2) or fp32 (rust-bert's BertModel as is). The choice and its reason are in
    /// `pipeline.models` and the final report.
    #[arg(long, value_enum, default_value = "auto", value_name = "P")]
    pub ner_precision: crate::models::int8::Precision,
    /// Add `summary`: an extractive French summary (E5 sentence embeddings), its English
    /// translation and an English brief of the actors, places and weapons.
    #[arg(long)]
    pub summarize: bool,
    /// Sentences per summary (implies --summarize).
    #[arg(long, value_name = "K")]
    pub summary_sentences: Option<usize>,
    /// Translator for `summary.en`: auto = Marian when --marian-model is given, else Apertium
    /// when installed, else none (with a warning).
    #[arg(long, value_enum, default_value = "auto")]
    pub translator: crate::translate::TranslatorKind,
    /// Local Marian (opus-mt fr-en) model folder for --translator marian/auto.
    #[arg(long, value_name = "DIR", env = "VIGIE_MARIAN_MODEL")]
    pub marian_model: Option<PathBuf>,
    /// Imported E5 encoder folder used for summaries.
    #[arg(long, value_name = "DIR", default_value = "models/e5")]
    pub encoder: PathBuf,
    /// Precision of the summaries' E5 encoder: auto (fp32 on every CPU so far: int8 summaries
    /// scored lower on the development set), fp32 or int8 (about 3x faster on AVX-512 VNNI).
    #[arg(long, value_enum, default_value = "auto", value_name = "P")]
    pub summary_precision: crate::models::int8::Precision,
    /// Documents per parallel batch (memory/throughput trade-off).
    #[arg(long, default_value_t = 256, hide = true)]
    pub chunk_docs: usize,
}

pub fn run(a: AnnotateArgs) -> anyhow::Result<i32> {
    if a.ner_model.is_some() {
        // the model batches a whole chunk on libtorch's threads
        tch::set_num_threads(a.threads.unwrap_or(RunOptions::default().threads).max(1) as i32);
    }
    let annotator = pipeline::annotator_with_model(
        a.lexicons.as_deref(),
        a.ner_model.as_deref(),
        a.ner_base.as_deref(),
        a.ner_precision,
    )
    .context("building the pipeline")?;
    let annotator = if a.summarize || a.summary_sentences.is_some() {
        let k = a.summary_sentences.unwrap_or(crate::summarize::SummaryConfig::default().k);
        let cfg = crate::summarize::SummaryConfig { k, ..Default::default() };
        cfg.validate().context("--summary-sentences")?;
        let encoder = crate::models::e5::E5Encoder::load_with(&a.encoder, a.summary_precision)
            .context("loading the E5 encoder for summaries")?;
        let (translator, why) = crate::translate::choose(a.translator, a.marian_model.as_deref())?;
        if translator.is_none() && !a.quiet {
            eprintln!("vigie: warning: no translator ({why}); summary.en will be null");
        }
        annotator.with_summary(pipeline::summary::SummaryStage::new(encoder, cfg, translator, why))
    } else {
        annotator
    };
    let stop = pipeline::run::stop_flag();
    {
        let stop = stop.clone();
        // First Ctrl-C / SIGTERM: finish the documents in flight and checkpoint; second: exit now
        // (the checkpoint protocol keeps --resume exact either way).
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) {
                std::process::exit(exit::INTERRUPTED);
            }
        });
    }
    let defaults = RunOptions::default();
    let opts = RunOptions {
        inputs: a.inputs,
        output: a.output.clone(),
        errors: a.errors,
        threads: a.threads.unwrap_or(defaults.threads),
        resume: a.resume,
        ingest: IngestOptions { max_doc_bytes: a.max_doc_bytes, shard: a.shard },
        chunk_docs: a.chunk_docs,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        ..defaults
    };
    let summary = pipeline::run(&opts, &annotator, &stop)?;
    if !a.quiet {
        eprint!("{}", crate::report::format_summary(&summary));
        for line in crate::report::precision_lines(annotator.info()) {
            eprintln!("{line}");
        }
    }
    if let (Some(html), Some(out), false) = (&a.html, &a.output, summary.interrupted) {
        crate::export::export(out, crate::export::Format::Html, html).context("writing the HTML report")?;
        if !a.quiet {
            eprintln!("vigie: report written to {}", html.display());
        }
    }
    Ok(if summary.interrupted {
        exit::INTERRUPTED
    } else if summary.stats.failed > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    })
}
