use super::exit;
use super::nats::QueueArgs;
use crate::queue::collect::{collect, CollectOptions};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Output JSONL file: one annotated document per id (replaced atomically).
    #[arg(short, long, value_name = "OUT.jsonl")]
    pub output: PathBuf,
    /// Also write the dead letters here (JSON lines: id, reason, deliveries, payload).
    #[arg(long, value_name = "DEAD.jsonl")]
    pub dead: Option<PathBuf>,
    /// First wait until every submitted document has been handled (the documents stream is empty).
    #[arg(long)]
    pub wait: bool,
    /// No report.
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(a: CollectArgs) -> anyhow::Result<i32> {
    let cfg = a.queue.config();
    let opts = CollectOptions { output: a.output.clone(), dead: a.dead, wait: a.wait, ..CollectOptions::default() };
    let quiet = a.quiet;
    let summary = super::nats::runtime()?.block_on(async {
        let (_client, js) = crate::queue::connect(&a.queue.nats, "vigie collect").await?;
        let mut last = None;
        collect(&js, &cfg, &opts, |queued| {
            if !quiet && last != Some(queued) {
                eprintln!("collect: waiting, {queued} documents still queued");
                last = Some(queued);
            }
        })
        .await
    })?;
    if !quiet {
        eprintln!(
            "collect: {} documents written to {}; {} dead letters; {} documents still queued",
            summary.written,
            a.output.display(),
            summary.dead,
            summary.queued
        );
    }
    Ok(if summary.dead > 0 { exit::SOME_FAILED } else { exit::OK })
}
