//! The streaming executor behind `vigie annotate`.
//!
//! ```text
//! reader thread ──chunks──▶ rayon pool (annotate + encode, in parallel) ──ordered chunks──▶ writer thread
//! ```
//! Memory is bounded: chunks hold at most `chunk_docs` documents or `chunk_bytes` bytes of text,
//! and at most two chunks wait on each channel. Output order is input order.

use super::chain::Pipeline as Annotator;
use super::resume::{self, State, Stats};
use crate::doc::{DocId, Label};
use crate::emit::{encode_jsonl, ErrorRecord, LineWriter, Severity, Sink};
use crate::ingest::{expand_inputs, IngestError, IngestOptions, InputFile, Origin, Record, RecordReader};
use crossbeam_channel::bounded;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
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
    /// Other files the caller will write after the run (`(flag, path)`, e.g. `--html`): refused
    /// with the outputs when they are an input or another output, before anything is written.
    pub also_written: Vec<(String, PathBuf)>,
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
            also_written: Vec::new(),
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
    Doc {
        line: Vec<u8>,
        labels: Vec<Label>,
        warnings: Vec<String>,
        origin: Origin,
        id: DocId,
    },
    Failed(ErrorRecord),
    /// Already handled by an interrupted run being resumed.
    Skipped,
}

struct Chunk {
    records: Vec<Record>,
    bytes: u64,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
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

/// The output and errors files with the checkpoint state that describes them.
struct Outputs {
    out: LineWriter,
    errs: LineWriter,
    state: State,
    /// `None` when writing to stdout (no checkpoints, no resume).
    state_path: Option<PathBuf>,
    out_name: String,
    err_name: String,
    last_durable: Instant,
    durable_every: Duration,
}

enum Opened {
    Ready(Box<Outputs>),
    /// `--resume` on a run that had already finished.
    AlreadyComplete(State),
}

impl Outputs {
    /// Creates the files, or reopens them cut back to the last checkpoint with `--resume`.
    fn open(opts: &RunOptions, err_path: Option<&Path>, fingerprint: String) -> Result<Opened, RunError> {
        let name = |p: Option<&Path>| p.map(|p| p.display().to_string()).unwrap_or_else(|| "-".into());
        let (out_name, err_name) = (name(opts.output.as_deref()), name(err_path));
        let create = |p: Option<&Path>, stream: fn() -> LineWriter| match p {
            Some(p) => LineWriter::create(p).map_err(io_err(p)),
            None => Ok(stream()),
        };
        let state_path = opts.output.as_deref().map(resume::state_path);
        let mut state = State::new(fingerprint);
        let (out, errs) = match (opts.output.as_deref(), &state_path, opts.resume) {
            (Some(o), Some(sp), true) => match resume::load(sp).map_err(io_err(sp))? {
                Some(st) if st.fingerprint != state.fingerprint => return Err(RunError::Resume {
                    out: out_name,
                    reason:
                        "the inputs or settings differ from the interrupted run (rerun without --resume to start over)"
                            .into(),
                }),
                Some(st) if st.complete => return Ok(Opened::AlreadyComplete(st)),
                Some(st) => {
                    state = st;
                    let ep = err_path.expect("an errors file goes with -o");
                    (
                        LineWriter::resume(o, state.out_bytes).map_err(io_err(o))?,
                        LineWriter::resume(ep, state.err_bytes).map_err(io_err(ep))?,
                    )
                }
                None if std::fs::metadata(o).map(|m| m.len() > 0).unwrap_or(false) => {
                    return Err(RunError::Resume {
                        out: out_name,
                        reason: format!("no checkpoint file {} (rerun without --resume to overwrite)", sp.display()),
                    });
                }
                None => (create(Some(o), LineWriter::stdout)?, create(err_path, LineWriter::stderr)?),
            },
            (None, _, true) => return Err(RunError::ResumeNeedsOutput),
            (o, _, _) => (create(o, LineWriter::stdout)?, create(err_path, LineWriter::stderr)?),
        };
        let mut me = Outputs {
            out,
            errs,
            state,
            state_path,
            out_name,
            err_name,
            last_durable: Instant::now(),
            durable_every: opts.checkpoint_every,
        };
        me.save_state(true)?;
        Ok(Opened::Ready(Box::new(me)))
    }

    fn save_state(&mut self, durable: bool) -> Result<(), RunError> {
        if let Some(sp) = &self.state_path {
            resume::save(sp, &self.state, durable).map_err(io_err(sp))?;
        }
        Ok(())
    }

    fn write_out(&mut self, line: &[u8]) -> Result<(), RunError> {
        let name = &self.out_name;
        self.out.write_line(line).map_err(|source| RunError::Io { path: name.clone(), source })
    }

    fn write_err(&mut self, rec: &ErrorRecord) -> Result<(), RunError> {
        let name = &self.err_name;
        self.errs.write_line(&rec.encode()).map_err(|source| RunError::Io { path: name.clone(), source })
    }

    /// Writes one batch of outcomes in order and updates the counters.
    fn write_batch(&mut self, outcomes: Vec<Outcome>) -> Result<(), RunError> {
        for o in outcomes {
            match o {
                Outcome::Skipped => continue,
                Outcome::Doc { line, labels, warnings, origin, id } => {
                    self.write_out(&line)?;
                    let stats = &mut self.state.stats;
                    stats.annotated += 1;
                    for l in labels {
                        *stats.entities.entry(l).or_default() += 1;
                    }
                    for reason in warnings {
                        self.state.stats.warnings += 1;
                        let (input, line) = (origin.input.to_string(), origin.line);
                        self.write_err(&ErrorRecord {
                            input,
                            line,
                            id: Some(id.clone()),
                            severity: Severity::Warning,
                            reason,
                        })?;
                    }
                }
                Outcome::Failed(rec) => {
                    tracing::debug!(input = %rec.input, line = ?rec.line, reason = %rec.reason, "document rejected");
                    self.state.stats.failed += 1;
                    self.write_err(&rec)?;
                }
            }
            self.state.stats.docs_in += 1;
        }
        Ok(())
    }

    /// Flushes both files, then records the checkpoint (synced to disk at most every
    /// `durable_every`, and always when `force_durable`).
    fn checkpoint(&mut self, force_durable: bool) -> Result<(), RunError> {
        let durable = force_durable || (self.state_path.is_some() && self.last_durable.elapsed() >= self.durable_every);
        let (on, en) = (self.out_name.clone(), self.err_name.clone());
        self.out.flush(durable).map_err(|source| RunError::Io { path: on, source })?;
        self.errs.flush(durable).map_err(|source| RunError::Io { path: en, source })?;
        self.state.records_done = self.state.stats.docs_in;
        self.state.out_bytes = self.out.position().unwrap_or(0);
        self.state.err_bytes = self.errs.position().unwrap_or(0);
        self.save_state(durable)?;
        if durable {
            self.last_durable = Instant::now();
            tracing::debug!(records = self.state.records_done, out_bytes = self.state.out_bytes, "checkpoint synced");
        }
        Ok(())
    }
}

/// Reads records into chunks and sends them, stopping early when `stop` is set.
fn read_chunks(
    files: Vec<InputFile>,
    opts: IngestOptions,
    (chunk_docs, chunk_bytes): (usize, u64),
    tx: crossbeam_channel::Sender<Chunk>,
    stop: &AtomicBool,
) -> Result<(), IngestError> {
    let new_chunk = || Chunk { records: Vec::with_capacity(chunk_docs), bytes: 0 };
    let mut rr = RecordReader::new(files, opts);
    let mut chunk = new_chunk();
    for rec in rr.by_ref() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        chunk.bytes += rec.bytes.max(1);
        chunk.records.push(rec);
        let full = chunk.records.len() >= chunk_docs || chunk.bytes >= chunk_bytes;
        if full && tx.send(std::mem::replace(&mut chunk, new_chunk())).is_err() {
            return Ok(()); // the consumer stopped; its error is reported
        }
    }
    if !chunk.records.is_empty() {
        let _ = tx.send(chunk);
    }
    rr.take_fatal().map_or(Ok(()), Err)
}

/// Runs the pipeline over all inputs. `stop` is polled between documents (Ctrl-C handling).
pub fn run(opts: &RunOptions, annotator: &Annotator, stop: &AtomicBool) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let files = expand_inputs(&opts.inputs)?;
    let err_path = opts.errors.clone().or_else(|| {
        opts.output.as_ref().map(|o| {
            let mut s = o.as_os_str().to_owned();
            s.push(".errors.jsonl");
            PathBuf::from(s)
        })
    });
    // inputs are never written: every output is checked before the first one is opened
    let state_path = opts.output.as_ref().map(|o| resume::state_path(o));
    let mut written: Vec<(&str, &Path)> = Vec::new();
    written.extend(opts.output.as_deref().map(|o| ("-o", o)));
    written.extend(err_path.as_deref().map(|e| ("--errors", e)));
    written.extend(state_path.as_deref().map(|s| ("(state file)", s)));
    written.extend(opts.also_written.iter().map(|(f, p)| (f.as_str(), p.as_path())));
    crate::ingest::check_outputs(&files, &written)?;
    let mut summary = RunSummary { output: opts.output.clone(), errors: err_path.clone(), ..Default::default() };
    let mut outputs = match Outputs::open(opts, err_path.as_deref(), run_fingerprint(&files, opts, annotator))? {
        Opened::Ready(o) => o,
        Opened::AlreadyComplete(st) => {
            summary.resumed_from = st.records_done;
            summary.stats = st.stats;
            summary.already_complete = true;
            summary.wall = started.elapsed();
            return Ok(summary);
        }
    };
    let skip = outputs.state.records_done;
    summary.resumed_from = skip;
    tracing::info!(inputs = files.len(), threads = opts.threads, resume_after = skip, "annotate: start");

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .thread_name(|i| format!("vigie-worker-{i}"))
        .build()
        .map_err(|e| RunError::Pool(e.to_string()))?;
    // progress counts decompressed bytes: no total when an input is compressed
    let total_bytes: Option<u64> = files.iter().map(|f| if f.compression.is_some() { None } else { f.size }).sum();
    let progress = opts.progress.then(|| crate::report::progress_bar(total_bytes));
    let (chunk_tx, chunk_rx) = bounded::<Chunk>(2);
    let (done_tx, done_rx) = bounded::<(Vec<Outcome>, u64)>(2);
    let limits = (opts.chunk_docs.max(1), opts.chunk_bytes.max(1) as u64);
    let ingest = opts.ingest.clone();

    let stats = std::thread::scope(|scope| -> Result<Stats, RunError> {
        let reader = scope.spawn(move || read_chunks(files, ingest, limits, chunk_tx, stop));
        let pb = progress.clone();
        let writer = scope.spawn(move || -> Result<Outputs, RunError> {
            for (outcomes, bytes) in done_rx {
                outputs.write_batch(outcomes)?;
                outputs.checkpoint(false)?;
                if let Some(pb) = &pb {
                    pb.inc(bytes);
                    let done = outputs.state.stats.docs_in;
                    let rate = (done - skip) as f64 / pb.elapsed().as_secs_f64().max(1e-3);
                    pb.set_message(format!("{done} docs, {rate:.0} docs/s"));
                }
            }
            Ok(*outputs)
        });
        // Annotate each chunk on the pool, keeping the order.
        for chunk in chunk_rx {
            let outcomes: Vec<Outcome> = pool.install(|| process_chunk(chunk.records, skip, annotator));
            if done_tx.send((outcomes, chunk.bytes)).is_err() {
                break; // the writer failed; its error is reported below
            }
        }
        drop(done_tx);
        let mut outputs = writer.join().map_err(|_| RunError::Pool("writer thread panicked".into()))??;
        reader.join().map_err(|_| RunError::Pool("reader thread panicked".into()))??;
        summary.interrupted = stop.load(Ordering::Relaxed);
        if summary.interrupted {
            tracing::warn!(records = outputs.state.stats.docs_in, "interrupted; checkpoint written");
        }
        outputs.state.complete = !summary.interrupted;
        outputs.checkpoint(true)?;
        Ok(outputs.state.stats)
    });
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    summary.stats = stats?;
    summary.wall = started.elapsed();
    Ok(summary)
}

fn failure(reason: String, id: Option<DocId>, origin: &Origin) -> Outcome {
    Outcome::Failed(ErrorRecord {
        input: origin.input.to_string(),
        line: origin.line,
        id,
        severity: Severity::Error,
        reason,
    })
}

/// Annotates one chunk (already on the pool): outcomes in record order.
fn process_chunk(records: Vec<Record>, skip: u64, annotator: &Annotator) -> Vec<Outcome> {
    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(records.len());
    let mut docs = Vec::new();
    let mut slots = Vec::new();
    for rec in records {
        if rec.seq < skip {
            outcomes.push(Some(Outcome::Skipped));
            continue;
        }
        match rec.doc {
            Err(e) => outcomes.push(Some(failure(e.to_string(), rec.id, &rec.origin))),
            Ok(doc) => {
                slots.push((outcomes.len(), rec.warnings, rec.origin, doc.id.clone()));
                docs.push(doc);
                outcomes.push(None);
            }
        }
    }
    let done: Vec<(usize, Outcome)> = annotator
        .annotate_batch(docs)
        .into_par_iter()
        .zip(slots)
        .map(|(res, (slot, warnings, origin, id))| {
            let o = match res {
                Ok(a) => Outcome::Doc {
                    labels: a.entities.iter().map(|e| e.label).collect(),
                    line: encode_jsonl(&a),
                    warnings,
                    origin,
                    id,
                },
                Err(e) => failure(e.to_string(), Some(id), &origin),
            };
            (slot, o)
        })
        .collect();
    for (slot, o) in done {
        outcomes[slot] = Some(o);
    }
    outcomes.into_iter().map(|o| o.expect("every record has an outcome")).collect()
}

/// Shared stop flag for Ctrl-C / SIGTERM handling.
pub fn stop_flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}
