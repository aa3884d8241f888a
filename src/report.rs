//! Progress bar and the end-of-run report (stderr).

use crate::doc::Label;
use crate::pipeline::RunSummary;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fmt::Write as _;

/// A progress bar over input bytes (ETA) when the total is known, a spinner otherwise.
pub fn progress_bar(total_bytes: Option<u64>) -> ProgressBar {
    let pb = match total_bytes {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bytes} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    pb
}

/// The human-readable final report.
pub fn format_summary(s: &RunSummary) -> String {
    let mut o = String::new();
    let st = &s.stats;
    if s.already_complete {
        let _ = writeln!(o, "vigie: nothing to do, the run was already complete");
    }
    let _ = writeln!(
        o,
        "vigie: documents in {}, annotated {}, failed {}, warnings {}{}",
        st.docs_in,
        st.annotated,
        st.failed,
        st.warnings,
        if s.resumed_from > 0 { format!(" (resumed after {} records)", s.resumed_from) } else { String::new() }
    );
    let ents: Vec<String> =
        Label::ALL.iter().map(|l| format!("{}={}", l, st.entities.get(l).copied().unwrap_or(0))).collect();
    let _ = writeln!(o, "vigie: entities {}", ents.join(" "));
    let secs = s.wall.as_secs_f64();
    let done = st.docs_in.saturating_sub(s.resumed_from);
    let _ = writeln!(o, "vigie: wall time {:.2}s, {:.1} docs/s", secs, done as f64 / secs.max(1e-9));
    if let Some(p) = &s.output {
        let _ = writeln!(o, "vigie: output {}", p.display());
    }
    if st.failed + st.warnings > 0 {
        if let Some(p) = &s.errors {
            let _ = writeln!(o, "vigie: errors and warnings in {}", p.display());
        }
    }
    if s.interrupted {
        let _ = writeln!(o, "vigie: interrupted; rerun the same command with --resume to continue");
    }
    o
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// One line per encoder in `pipeline.models` that records a precision: which one runs and why
/// (`--ner-precision` / `--summary-precision auto` decide per CPU).
pub fn precision_lines(info: &crate::doc::PipelineInfo) -> Vec<String> {
    info.models
        .iter()
        .filter_map(|(name, m)| {
            let p = m.get("precision")?.as_str()?;
            let why = m.get("precision_reason").and_then(|r| r.as_str()).unwrap_or("");
            Some(format!("vigie: {name} encoder precision {p} ({why})"))
        })
        .collect()
}
