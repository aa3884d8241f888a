//! The streaming executor behind `vigie annotate`.
//!
//! ```text
//! reader thread ──chunks──▶ rayon pool (annotate + encode, in parallel) ──ordered chunks──▶ writer thread
//! ```
//! Memory is bounded: chunks hold at most `chunk_docs` documents or `chunk_bytes` bytes of text,
//! and at most two chunks wait on each channel. Output order is input order.

use super::annotator::Annotator;
use super::resume::{self, State, Stats};
use crate::doc::{DocId, Label};
use crate::emit::{encode_jsonl, ErrorRecord, LineWriter, Severity, Sink};
use crate::ingest::{expand_inputs, IngestError, IngestOptions, InputFile, Origin, Record, RecordReader};
use crossbeam_channel::bounded;
use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub inputs: Vec<PathBuf>,
    /// `None`: stdout.
    pub output: Option<PathBuf>,
    /// `None`: `OUT.errors.jsonl` next to the output, or stderr when writing to stdout.
    pub errors: Option<PathBuf>,
    pub threads: usize,
    pub resume: bool,
    pub ingest: IngestOptions,
    pub chunk_docs: usize,
    pub chunk_bytes: usize,
    /// Minimum time between durable checkpoints.
    pub checkpoint_every: Duration,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            inputs: Vec::new(),
            output: None,
            errors: None,
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            resume: false,
            ingest: IngestOptions::default(),
            chunk_docs: 256,
            chunk_bytes: 8 << 20,
            checkpoint_every: Duration::from_secs(1),
            progress: false,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub stats: Stats,
    /// Records skipped because an earlier run had already handled them.
    pub resumed_from: u64,
    pub wall: Duration,
    /// Stopped early by Ctrl-C / SIGTERM; `--resume` continues.
    pub interrupted: bool,
    /// `--resume` found the run already complete.
    pub already_complete: bool,
    pub output: Option<PathBuf>,
    pub errors: Option<PathBuf>,
}

/// Errors that stop a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("--resume needs an output file (-o)")]
    ResumeNeedsOutput,
    #[error("cannot resume into {out}: {reason}")]
    Resume { out: String, reason: String },
    #[error("thread pool: {0}")]
    Pool(String),
}

/// The result of one record, in input order.
enum Outcome {
    Doc { line: Vec<u8>, labels: Vec<Label>, warnings: Vec<String>, origin: Origin, id: DocId },
    Failed(ErrorRecord),
    /// Already handled by an interrupted run being resumed.
    Skipped,
}

struct Chunk {
    records: Vec<Record>,
    bytes: u64,
}

fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io { path: path.display().to_string(), source }
}

fn run_fingerprint(files: &[InputFile], opts: &RunOptions, annotator: &Annotator) -> String {
    let inputs: Vec<serde_json::Value> =
        files.iter().map(|f| serde_json::json!({"name": f.display_name(), "size": f.size})).collect();
    resume::fingerprint(&serde_json::json!({
        "inputs": inputs,
        "max_doc_bytes": opts.ingest.max_doc_bytes,
        "shard": opts.ingest.shard,
        "pipeline": annotator.info(),
    }))
}

/// Runs the pipeline over all inputs. `stop` is polled between documents (Ctrl-C handling).
pub fn run(opts: &RunOptions, annotator: &Annotator, stop: &AtomicBool) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let files = expand_inputs(&opts.inputs)?;
    let fingerprint = run_fingerprint(&files, opts, annotator);
    if opts.resume && opts.output.is_none() {
        return Err(RunError::ResumeNeedsOutput);
    }
    let err_path = opts.errors.clone().or_else(|| {
        opts.output.as_ref().map(|o| {
            let mut s = o.as_os_str().to_owned();
            s.push(".errors.jsonl");
            PathBuf::from(s)
        })
    });

    // Open outputs, fresh or resumed.
    let mut state = State::new(fingerprint.clone());
    let state_path = opts.output.as_ref().map(|o| resume::state_path(o));
    let (mut out, mut errs) = match (&opts.output, opts.resume) {
        (None, _) => (LineWriter::stdout(), match &err_path {
            Some(p) => LineWriter::create(p).map_err(io_err(p))?,
            None => LineWriter::stderr(),
        }),
        (Some(o), true) => {
            let sp = state_path.as_ref().expect("output given");
            let ep = err_path.as_ref().expect("output given");
            match resume::load(sp).map_err(io_err(sp))? {
                Some(st) => {
                    if st.fingerprint != fingerprint {
                        return Err(RunError::Resume {
                            out: o.display().to_string(),
                            reason: "the inputs or settings differ from the interrupted run (rerun without --resume to start over)".into(),
                        });
                    }
                    if st.complete {
                        return Ok(RunSummary {
                            stats: st.stats,
                            resumed_from: st.records_done,
                            wall: started.elapsed(),
                            already_complete: true,
                            output: opts.output.clone(),
                            errors: err_path,
                            ..Default::default()
                        });
                    }
                    state = st;
                    (LineWriter::resume(o, state.out_bytes).map_err(io_err(o))?, LineWriter::resume(ep, state.err_bytes).map_err(io_err(ep))?)
                }
                None if o.exists() && std::fs::metadata(o).map(|m| m.len() > 0).unwrap_or(false) => {
                    return Err(RunError::Resume {
                        out: o.display().to_string(),
                        reason: format!("no checkpoint file {} (rerun without --resume to overwrite)", sp.display()),
                    });
                }
                None => (LineWriter::create(o).map_err(io_err(o))?, LineWriter::create(ep).map_err(io_err(ep))?),
            }
        }
        (Some(o), false) => {
            let ep = err_path.as_ref().expect("output given");
            (LineWriter::create(o).map_err(io_err(o))?, LineWriter::create(ep).map_err(io_err(ep))?)
        }
    };
    if let Some(sp) = &state_path {
        resume::save(sp, &state, true).map_err(io_err(sp))?;
    }
    let skip = state.records_done;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("vigie-worker-{i}"))
        .build()
        .map_err(|e| RunError::Pool(e.to_string()))?;

    let total_bytes: Option<u64> = files.iter().map(|f| f.size).sum();
    let progress = opts.progress.then(|| crate::report::progress_bar(total_bytes));

    let (chunk_tx, chunk_rx) = bounded::<Chunk>(2);
    let (done_tx, done_rx) = bounded::<(Vec<Outcome>, u64)>(2);
    let reader_opts = opts.ingest.clone();
    let (chunk_docs, chunk_bytes) = (opts.chunk_docs.max(1), opts.chunk_bytes.max(1) as u64);

    let mut summary = RunSummary { resumed_from: skip, output: opts.output.clone(), errors: err_path.clone(), ..Default::default() };
    let result = std::thread::scope(|scope| -> Result<(), RunError> {
        // Reader: records → chunks, stopping early on interrupt.
        let reader = scope.spawn(move || -> Result<(), IngestError> {
            let mut rr = RecordReader::new(files, reader_opts);
            let mut chunk = Chunk { records: Vec::with_capacity(chunk_docs), bytes: 0 };
            for rec in rr.by_ref() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                chunk.bytes += rec.bytes.max(1);
                chunk.records.push(rec);
                if chunk.records.len() >= chunk_docs || chunk.bytes >= chunk_bytes {
                    let full = std::mem::replace(&mut chunk, Chunk { records: Vec::with_capacity(chunk_docs), bytes: 0 });
                    if chunk_tx.send(full).is_err() {
                        return Ok(());
                    }
                }
            }
            if !chunk.records.is_empty() {
                let _ = chunk_tx.send(chunk);
            }
            match rr.take_fatal() {
                Some(e) => Err(e),
                None => Ok(()),
            }
        });

        // Writer: ordered outcomes → files, checkpoints, stats.
        let sp = state_path.clone();
        let ep = err_path.clone();
        let out_name = opts.output.clone();
        let every = opts.checkpoint_every;
        let progress = progress.clone();
        let writer = scope.spawn(move || -> Result<State, RunError> {
            let mut last_sync = Instant::now();
            let werr = |p: &Option<PathBuf>| {
                let name = p.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "-".into());
                move |source| RunError::Io { path: name, source }
            };
            for (outcomes, bytes) in done_rx {
                for o in outcomes {
                    match o {
                        Outcome::Skipped => continue,
                        Outcome::Doc { line, labels, warnings, origin, id } => {
                            out.write_line(&line).map_err(werr(&out_name))?;
                            state.stats.annotated += 1;
                            for l in labels {
                                *state.stats.entities.entry(l).or_default() += 1;
                            }
                            for w in warnings {
                                state.stats.warnings += 1;
                                let rec = ErrorRecord {
                                    input: origin.input.to_string(),
                                    line: origin.line,
                                    id: Some(id.clone()),
                                    severity: Severity::Warning,
                                    reason: w,
                                };
                                errs.write_line(&rec.encode()).map_err(werr(&ep))?;
                            }
                        }
                        Outcome::Failed(rec) => {
                            state.stats.failed += 1;
                            errs.write_line(&rec.encode()).map_err(werr(&ep))?;
                        }
                    }
                    state.stats.docs_in += 1;
                }
                if let Some(pb) = &progress {
                    pb.inc(bytes);
                    let secs = pb.elapsed().as_secs_f64().max(1e-3);
                    pb.set_message(format!("{} docs, {:.0} docs/s", state.stats.docs_in, (state.stats.docs_in - skip) as f64 / secs));
                }
                if let Some(sp) = &sp {
                    let durable = last_sync.elapsed() >= every;
                    out.flush(durable).map_err(werr(&out_name))?;
                    errs.flush(durable).map_err(werr(&ep))?;
                    state.records_done = state.stats.docs_in;
                    state.out_bytes = out.position().unwrap_or(0);
                    state.err_bytes = errs.position().unwrap_or(0);
                    resume::save(sp, &state, durable).map_err(io_err(sp))?;
                    if durable {
                        last_sync = Instant::now();
                    }
                } else {
                    out.flush(false).map_err(werr(&out_name))?;
                    errs.flush(false).map_err(werr(&ep))?;
                }
            }
            out.flush(true).map_err(werr(&out_name))?;
            errs.flush(true).map_err(werr(&ep))?;
            Ok(state)
        });

        // Workers: annotate each chunk in parallel, keep the order.
        for chunk in chunk_rx {
            let bytes = chunk.bytes;
            let outcomes: Vec<Outcome> = pool.install(|| {
                chunk.records.into_par_iter().map(|rec| process(rec, skip, annotator)).collect()
            });
            if done_tx.send((outcomes, bytes)).is_err() {
                break; // writer failed; its error is reported below
            }
        }
        drop(done_tx);
        let final_state = writer.join().map_err(|_| RunError::Pool("writer thread panicked".into()))??;
        let read_res = reader.join().map_err(|_| RunError::Pool("reader thread panicked".into()))?;
        summary.interrupted = stop.load(Ordering::Relaxed);
        let mut st = final_state;
        read_res?;
        if let Some(sp) = &state_path {
            st.complete = !summary.interrupted;
            resume::save(sp, &st, true).map_err(io_err(sp))?;
        }
        summary.stats = st.stats;
        Ok(())
    });
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    result?;
    summary.wall = started.elapsed();
    Ok(summary)
}

fn process(rec: Record, skip: u64, annotator: &Annotator) -> Outcome {
    if rec.seq < skip {
        return Outcome::Skipped;
    }
    let fail = |reason: String, id: Option<DocId>, origin: &Origin| {
        Outcome::Failed(ErrorRecord { input: origin.input.to_string(), line: origin.line, id, severity: Severity::Error, reason })
    };
    match rec.doc {
        Err(e) => fail(e.to_string(), rec.id, &rec.origin),
        Ok(doc) => {
            let id = doc.id.clone();
            match annotator.annotate(doc) {
                Ok(a) => Outcome::Doc {
                    labels: a.entities.iter().map(|e| e.label).collect(),
                    line: encode_jsonl(&a),
                    warnings: rec.warnings,
                    origin: rec.origin,
                    id,
                },
                Err(e) => fail(e.to_string(), Some(id), &rec.origin),
            }
        }
    }
}

/// Shared stop flag for Ctrl-C / SIGTERM handling.
pub fn stop_flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}
