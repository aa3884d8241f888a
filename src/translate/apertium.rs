//! Apertium backend: `apertium fr-es | apertium spa-eng` (Debian packages `apertium`,
//! `apertium-fr-es`, `apertium-eng-spa`).
//!
//! Sentences are sent in batches, one process pipeline per batch (never one per sentence), each
//! sentence on its own paragraph (separated by a blank line, which Apertium's text format keeps).
//! If a batch comes back with a different number of paragraphs, it is split in halves and retried,
//! so one odd sentence cannot misalign the others.

use super::{TranslateError, Translator};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Settings of the Apertium backend.
#[derive(Debug, Clone)]
pub struct ApertiumConfig {
    /// The `apertium` program.
    pub program: String,
    /// Language-pair modes applied in order.
    pub modes: Vec<String>,
    /// Time allowed for one batch.
    pub timeout: Duration,
    /// Largest batch, in characters.
    pub batch_chars: usize,
}

impl Default for ApertiumConfig {
    fn default() -> Self {
        ApertiumConfig {
            program: "apertium".into(),
            modes: vec!["fr-es".into(), "spa-eng".into()],
            timeout: Duration::from_secs(120),
            batch_chars: 200_000,
        }
    }
}

/// French → English through Spanish with Apertium.
pub struct ApertiumTranslator {
    cfg: ApertiumConfig,
    id: String,
}

fn package_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query").args(["-W", "-f=${Version}", pkg]).output().ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

impl ApertiumTranslator {
    /// Checks that the program and its modes are installed.
    pub fn new(cfg: ApertiumConfig) -> Result<Self, TranslateError> {
        let out = Command::new(&cfg.program).arg("-l").output().map_err(|e| {
            TranslateError::Unavailable(format!(
                "cannot run {} ({e}); install the Debian packages apertium apertium-fr-es apertium-eng-spa (scripts/setup.sh does)",
                cfg.program
            ))
        })?;
        let modes = String::from_utf8_lossy(&out.stdout);
        for m in &cfg.modes {
            if !modes.lines().any(|l| l.trim() == m) {
                return Err(TranslateError::Unavailable(format!(
                    "Apertium mode {m} is not installed (have: {})",
                    modes.split_whitespace().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let version = package_version("apertium-fr-es").unwrap_or_else(|| "unknown".into());
        let id = format!("apertium fr-es-en {version}");
        Ok(ApertiumTranslator { cfg, id })
    }

    fn spawn_chain(&self) -> Result<Vec<Child>, TranslateError> {
        let mut children: Vec<Child> = Vec::new();
        for (i, mode) in self.cfg.modes.iter().enumerate() {
            let stdin = match children.last_mut() {
                Some(prev) => Stdio::from(prev.stdout.take().ok_or_else(|| TranslateError::Process("no pipe".into()))?),
                None => Stdio::piped(),
            };
            let child = Command::new(&self.cfg.program)
                .args(["-u", "-f", "txt", mode])
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| TranslateError::Process(format!("starting apertium {mode} (step {i}): {e}")))?;
            children.push(child);
        }
        Ok(children)
    }

    /// Runs one batch text through the chain, with the timeout.
    fn run_chain(&self, input: String) -> Result<String, TranslateError> {
        let mut children = self.spawn_chain()?;
        let kill_all = |cs: &mut Vec<Child>| {
            for c in cs.iter_mut() {
                let _ = c.kill();
                let _ = c.wait();
            }
        };
        let mut stdin = children[0].stdin.take().ok_or_else(|| TranslateError::Process("no stdin".into()))?;
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let mut stdout = children
            .last_mut()
            .and_then(|c| c.stdout.take())
            .ok_or_else(|| TranslateError::Process("no stdout".into()))?;
        let reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            stdout.read_to_end(&mut s).map(|_| s)
        });
        let deadline = Instant::now() + self.cfg.timeout;
        for i in 0..children.len() {
            loop {
                match children[i].try_wait() {
                    Ok(Some(st)) if st.success() => break,
                    Ok(Some(st)) => {
                        kill_all(&mut children);
                        return Err(TranslateError::Process(format!(
                            "apertium {} exited with {st}",
                            self.cfg.modes[i]
                        )));
                    }
                    Ok(None) if Instant::now() >= deadline => {
                        kill_all(&mut children);
                        return Err(TranslateError::Timeout(self.cfg.timeout));
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                    Err(e) => {
                        kill_all(&mut children);
                        return Err(TranslateError::Process(e.to_string()));
                    }
                }
            }
        }
        let _ = writer.join();
        let bytes = reader
            .join()
            .map_err(|_| TranslateError::Process("reader thread panicked".into()))?
            .map_err(|e| TranslateError::Process(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| TranslateError::Process(format!("apertium output is not UTF-8: {e}")))
    }

    /// Translates one batch; on a paragraph-count mismatch, bisects.
    fn translate_batch(&self, batch: &[String]) -> Result<Vec<String>, TranslateError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let input: String = batch.iter().map(|s| one_line(s)).collect::<Vec<_>>().join("\n\n") + "\n";
        let out = self.run_chain(input)?;
        let parts: Vec<String> = out.trim_end_matches('\n').split("\n\n").map(|p| p.trim().to_string()).collect();
        if parts.len() == batch.len() {
            return Ok(parts);
        }
        if batch.len() == 1 {
            return Ok(vec![out.split_whitespace().collect::<Vec<_>>().join(" ")]);
        }
        tracing::debug!(sent = batch.len(), got = parts.len(), "apertium paragraph mismatch; splitting the batch");
        let (a, b) = batch.split_at(batch.len() / 2);
        let mut res = self.translate_batch(a)?;
        res.extend(self.translate_batch(b)?);
        Ok(res)
    }
}

/// A sentence as one line of plain text (Apertium would keep inner newlines and blank lines).
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        ".".into() // keeps the paragraph; an empty input gives an empty output below
    } else {
        joined
    }
}

impl Translator for ApertiumTranslator {
    fn id(&self) -> &str {
        &self.id
    }

    fn translate(&self, sentences: &[String]) -> Result<Vec<String>, TranslateError> {
        let mut out = Vec::with_capacity(sentences.len());
        let mut start = 0;
        while start < sentences.len() {
            let mut end = start;
            let mut chars = 0;
            while end < sentences.len() && (end == start || chars + sentences[end].len() <= self.cfg.batch_chars) {
                chars += sentences[end].len() + 2;
                end += 1;
            }
            out.extend(self.translate_batch(&sentences[start..end])?);
            start = end;
        }
        for (o, s) in out.iter_mut().zip(sentences) {
            if s.trim().is_empty() {
                o.clear();
            }
        }
        Ok(out)
    }
}
