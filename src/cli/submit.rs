use super::exit;
use super::nats::QueueArgs;
use crate::emit::{LineWriter, Sink};
use crate::ingest::IngestOptions;
use crate::queue::submit::{submit, SubmitEvent, SubmitOptions, SubmitSummary};
use anyhow::Context;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SubmitArgs {
    /// Inputs, as for `annotate`: .jsonl/.ndjson files, .txt files, directories, or - for stdin.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub queue: QueueArgs,
    /// Errors file: one JSON line per rejected or changed document, as `annotate` writes (default:
    /// stderr).
    #[arg(long, value_name = "ERR.jsonl")]
    pub errors: Option<PathBuf>,
    /// Largest accepted document text in bytes; larger documents are rejected.
    #[arg(long, default_value_t = IngestOptions::default().max_doc_bytes, value_name = "BYTES")]
    pub max_doc_bytes: u64,
    /// Published messages awaiting the stream's acknowledgement, at most.
    #[arg(long, default_value_t = SubmitOptions::default().in_flight, value_name = "N")]
    pub in_flight: usize,
    /// No progress lines and no final report.
    #[arg(short, long)]
    pub quiet: bool,
}

fn line(s: &SubmitSummary) -> String {
    let rate = (s.published + s.duplicates) as f64 / s.wall.as_secs_f64().max(1e-3);
    format!(
        "submit: {} read, {} published, {} already queued (duplicates), {} rejected, {} failed, {} changed; {:.0} docs/s",
        s.read, s.published, s.duplicates, s.rejected, s.failed, s.warnings, rate
    )
}

pub fn run(a: SubmitArgs) -> anyhow::Result<i32> {
    let cfg = a.queue.config();
    let mut errs = match &a.errors {
        Some(p) => LineWriter::create(p).with_context(|| format!("creating {}", p.display()))?,
        None => LineWriter::stderr(),
    };
    let opts = SubmitOptions {
        inputs: a.inputs,
        ingest: IngestOptions { max_doc_bytes: a.max_doc_bytes, ..IngestOptions::default() },
        in_flight: a.in_flight,
        ..SubmitOptions::default()
    };
    let quiet = a.quiet;
    let mut write_err: Option<std::io::Error> = None;
    let summary = super::nats::runtime()?.block_on(async {
        let (client, js) = crate::queue::connect(&a.queue.nats, "vigie submit").await?;
        let s = submit(&client, &js, &cfg, &opts, |ev| match ev {
            SubmitEvent::Problem(rec) => {
                if let Err(e) = errs.write_line(&rec.encode()) {
                    write_err.get_or_insert(e);
                }
            }
            SubmitEvent::Progress(s) if !quiet => eprintln!("{}", line(s)),
            SubmitEvent::Progress(_) => {}
        })
        .await;
        client.flush().await.ok();
        s
    })?;
    errs.flush(true).context("writing the errors file")?;
    if let Some(e) = write_err {
        return Err(anyhow::Error::new(e).context("writing the errors file"));
    }
    if !quiet {
        eprintln!("{}", line(&summary));
    }
    Ok(if summary.rejected + summary.failed > 0 { exit::SOME_FAILED } else { exit::OK })
}
