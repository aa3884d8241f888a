use crate::corpus::{jsonl_doc, Rng};
use crate::pipeline::{self, RunOptions};
use crate::report::peak_rss_bytes;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Number of generated paragraphs (documents).
    #[arg(long, default_value_t = 10_000)]
    pub docs: u64,
    /// Generate about this many bytes instead of --docs (e.g. 1000000000 for the flat-RSS check).
    #[arg(long)]
    pub bytes: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(short = 'j', long)]
    pub threads: Option<usize>,
    /// Keep the generated corpus and output in this folder (default: a temporary folder, removed).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// No geo stage (the lexicon pipeline without coordinates).
    #[arg(long, conflicts_with = "compare_geo")]
    pub no_geo: bool,
    /// Run the corpus with and without the geo stage, alternating, N times each, and print the
    /// best wall time of each and their ratio (the geo stage's cost, measured in one run).
    #[arg(long, value_name = "N")]
    pub compare_geo: Option<usize>,
}

fn rss_now() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let mut u = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let r = unsafe { libc::getrusage(libc::RUSAGE_SELF, u.as_mut_ptr()) };
    if r != 0 {
        return 0.0;
    }
    // SAFETY: initialised by the successful call above.
    let u = unsafe { u.assume_init() };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

pub fn run(a: BenchArgs) -> anyhow::Result<i32> {
    let tmp;
    let dir = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let corpus = dir.join("bench-corpus.jsonl");
    let out = dir.join("bench-out.jsonl");
    let t0 = Instant::now();
    let mut w = std::io::BufWriter::new(std::fs::File::create(&corpus).context("creating bench corpus")?);
    let mut rng = Rng::new(a.seed);
    let (mut n, mut bytes) = (0u64, 0u64);
    loop {
        let done = match a.bytes {
            Some(b) => bytes >= b,
            None => n >= a.docs,
        };
        if done {
            break;
        }
        let line = jsonl_doc(&mut rng, n);
        bytes += line.len() as u64;
        w.write_all(line.as_bytes())?;
        n += 1;
    }
    w.flush()?;
    drop(w);
    eprintln!("bench: generated {n} documents, {:.1} MB in {:.1}s", bytes as f64 / 1e6, t0.elapsed().as_secs_f64());

    if let Some(rounds) = a.compare_geo {
        let with = pipeline::PipelineConfig::fast().build()?;
        let without = pipeline::PipelineConfig { geo: None, ..pipeline::PipelineConfig::fast() }.build()?;
        let opts = RunOptions {
            inputs: vec![corpus.clone()],
            output: Some(out.clone()),
            threads: a.threads.unwrap_or(RunOptions::default().threads),
            ..RunOptions::default()
        };
        // best wall time and best CPU time (user + system of the process: less sensitive to a
        // busy machine) of each variant
        let mut best = [(f64::MAX, f64::MAX); 2];
        let mut places = 0u64;
        for round in 0..rounds.max(1) {
            for (v, (name, p)) in [("without geo", &without), ("with geo", &with)].into_iter().enumerate() {
                let _ = std::fs::remove_file(&out);
                let (t, c) = (Instant::now(), cpu_seconds());
                let summary = pipeline::run(&opts, p, &AtomicBool::new(false))?;
                let (wall, cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
                best[v] = (best[v].0.min(wall), best[v].1.min(cpu));
                places = summary.stats.entities.get(&crate::doc::Label::Location).copied().unwrap_or(places);
                println!(
                    "bench: round {} {name}: wall={wall:.2}s cpu={cpu:.2}s docs_per_s={:.0}",
                    round + 1,
                    n as f64 / wall
                );
            }
        }
        let [(w0, c0), (w1, c1)] = best;
        println!(
            "bench: {n} documents, {places} LOCATION mentions; best wall without geo {w0:.2}s, with geo {w1:.2}s (with/without {:.3}, {:+.1}%); best CPU {c0:.2}s vs {c1:.2}s (with/without {:.3}, {:+.1}%)",
            w1 / w0,
            (w1 / w0 - 1.0) * 100.0,
            c1 / c0,
            (c1 / c0 - 1.0) * 100.0
        );
        return Ok(super::exit::OK);
    }
    let annotator = if a.no_geo {
        pipeline::PipelineConfig { geo: None, ..pipeline::PipelineConfig::fast() }.build()?
    } else {
        pipeline::default_annotator(None)?
    };
    let defaults = RunOptions::default();
    let opts = RunOptions {
        inputs: vec![corpus.clone()],
        output: Some(out.clone()),
        threads: a.threads.unwrap_or(defaults.threads),
        ..defaults
    };
    // Sample RSS while running, to show whether memory stays flat.
    let samples = Arc::new(Mutex::new(Vec::<(f64, u64)>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (samples, running) = (samples.clone(), running.clone());
        std::thread::spawn(move || {
            let t = Instant::now();
            while running.load(Ordering::Relaxed) {
                if let Ok(mut s) = samples.lock() {
                    s.push((t.elapsed().as_secs_f64(), rss_now()));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        })
    };
    let stop = AtomicBool::new(false);
    let t1 = Instant::now();
    let summary = pipeline::run(&opts, &annotator, &stop)?;
    let wall = t1.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    let s = samples.lock().map(|s| s.clone()).unwrap_or_default();
    let at = |f: f64| s.get(((s.len().saturating_sub(1)) as f64 * f) as usize).map(|x| x.1 as f64 / 1e6).unwrap_or(0.0);
    println!("bench: threads={} docs={} input_mb={:.1}", opts.threads, summary.stats.docs_in, bytes as f64 / 1e6);
    println!(
        "bench: annotated={} failed={} entities={}",
        summary.stats.annotated,
        summary.stats.failed,
        summary.stats.entities.values().sum::<u64>()
    );
    println!(
        "bench: wall={:.2}s docs_per_s={:.0} mb_per_s={:.2}",
        wall,
        summary.stats.docs_in as f64 / wall,
        bytes as f64 / 1e6 / wall
    );
    println!(
        "bench: rss_mb at 10%={:.1} 50%={:.1} 90%={:.1} end={:.1}; peak_rss_mb={:.1}",
        at(0.1),
        at(0.5),
        at(0.9),
        at(1.0),
        peak_rss_bytes().unwrap_or(0) as f64 / 1e6
    );
    Ok(super::exit::OK)
}
