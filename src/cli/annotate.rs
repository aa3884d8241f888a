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
    /// Output JSONL file (default, or `-`: stdout).
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
    /// Process only shard I of N (0-based; documents whose id hashes there), e.g. one Kubernetes
    /// indexed Job or Slurm array task each; with --resume a failed shard is simply rerun.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::ingest::Shard>,
    /// After the run, also write the HTML report of the output file here (needs -o).
    #[arg(long, value_name = "REPORT.html", requires = "output")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub pipeline: super::pipeline_args::PipelineArgs,
    /// Documents per parallel batch (memory/throughput trade-off).
    #[arg(long, default_value_t = 256, hide = true)]
    pub chunk_docs: usize,
}

pub fn run(a: AnnotateArgs) -> anyhow::Result<i32> {
    if a.pipeline.uses_torch() {
        // models batch a whole chunk on libtorch's threads
        tch::set_num_threads(a.threads.unwrap_or(RunOptions::default().threads).max(1) as i32);
    }
    let annotator = a.pipeline.build(a.quiet)?;
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
        // `-o -` is stdout, as `-` is stdin for the inputs (never a file named « - »)
        output: a.output.clone().filter(|o| o.as_os_str() != "-"),
        errors: a.errors,
        threads: a.threads.unwrap_or(defaults.threads),
        resume: a.resume,
        ingest: IngestOptions { max_doc_bytes: a.max_doc_bytes, shard: a.shard },
        chunk_docs: a.chunk_docs,
        progress: !a.quiet && std::io::stderr().is_terminal(),
        also_written: a.html.iter().map(|h| ("--html".to_string(), h.clone())).collect(),
        ..defaults
    };
    let summary = pipeline::run(&opts, &annotator, &stop)?;
    if !a.quiet {
        eprint!("{}", crate::report::format_summary(&summary));
        for line in crate::report::precision_lines(annotator.info()) {
            eprintln!("{line}");
        }
    }
    let output = a.output.as_ref().filter(|o| o.as_os_str() != "-");
    if let (Some(html), Some(out), false) = (&a.html, output, summary.interrupted) {
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
