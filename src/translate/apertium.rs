//! Apertium backend: `apertium fr-es | apertium spa-eng` (Debian packages `apertium`,
//! `apertium-fr-es`, `apertium-eng-spa`).
//!
//! Words the French→Spanish dictionaries do not know (Apertium marks them `*mot`) would reach
//! the English as French. Lower-case ones are looked up through the French→Catalan→English
//! pairs (`apertium-fra-cat`, `apertium-eng-cat`, when installed) in one call per batch and put
//! back as placeholders the second step passes through; capitalised ones are names and stay.
//! The English then gets English typography: « » → "…", decimal commas and spaced thousands
//! (« 2,5 », « 3 000 ») → 2.5, 3,000.
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
    /// Modes that translate single words the first mode does not know (used only when all are
    /// installed; empty = no fallback).
    pub unknown_word_modes: Vec<String>,
}

impl Default for ApertiumConfig {
    fn default() -> Self {
        ApertiumConfig {
            program: "apertium".into(),
            modes: vec!["fr-es".into(), "spa-eng".into()],
            timeout: Duration::from_secs(120),
            batch_chars: 200_000,
            unknown_word_modes: vec!["fra-cat".into(), "cat-eng".into()],
        }
    }
}

/// French → English through Spanish with Apertium.
pub struct ApertiumTranslator {
    cfg: ApertiumConfig,
    id: String,
    /// Whether `cfg.unknown_word_modes` are installed.
    fallback: bool,
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
        if cfg.modes.is_empty() {
            return Err(TranslateError::Unavailable("no Apertium modes configured".into()));
        }
        let installed = |m: &str| modes.lines().any(|l| l.trim() == m);
        for m in &cfg.modes {
            if !installed(m) {
                return Err(TranslateError::Unavailable(format!(
                    "Apertium mode {m} is not installed (have: {})",
                    modes.split_whitespace().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let fallback = !cfg.unknown_word_modes.is_empty() && cfg.unknown_word_modes.iter().all(|m| installed(m));
        if !fallback && !cfg.unknown_word_modes.is_empty() {
            tracing::warn!(
                modes = ?cfg.unknown_word_modes,
                "Apertium modes for unknown words are not installed (Debian apertium-fra-cat apertium-eng-cat); unknown French words stay French"
            );
        }
        let version = package_version("apertium-fr-es").unwrap_or_else(|| "unknown".into());
        let id = if fallback {
            format!("apertium fr-es-en {version} (+fra-cat-eng for unknown words)")
        } else {
            format!("apertium fr-es-en {version}")
        };
        Ok(ApertiumTranslator { cfg, id, fallback })
    }

    /// Whether unknown words go through the fallback modes.
    pub fn has_unknown_word_fallback(&self) -> bool {
        self.fallback
    }

    fn spawn_chain(&self, modes: &[String], marks: bool) -> Result<Vec<Child>, TranslateError> {
        let mut children: Vec<Child> = Vec::new();
        for (i, mode) in modes.iter().enumerate() {
            let stdin = match children.last_mut() {
                Some(prev) => Stdio::from(prev.stdout.take().ok_or_else(|| TranslateError::Process("no pipe".into()))?),
                None => Stdio::piped(),
            };
            let mut cmd = Command::new(&self.cfg.program);
            if !marks {
                cmd.arg("-u");
            }
            let child = cmd
                .args(["-f", "txt", mode])
                .stdin(stdin)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| TranslateError::Process(format!("starting apertium {mode} (step {i}): {e}")))?;
            children.push(child);
        }
        Ok(children)
    }

    /// Runs one batch text through `modes` (piped), with the timeout; `marks` keeps Apertium's
    /// `*unknown` / `#untranslatable` marks (no `-u`).
    fn run_chain(&self, modes: &[String], marks: bool, input: String) -> Result<String, TranslateError> {
        let mut children = self.spawn_chain(modes, marks)?;
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
                        return Err(TranslateError::Process(format!("apertium {} exited with {st}", modes[i])));
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

    /// Translates one batch. Apertium's marks are read (for the unknown-word fallback) only in
    /// sentences without a character Apertium uses as a mark; the others are translated apart.
    fn translate_batch(&self, batch: &[String]) -> Result<Vec<String>, TranslateError> {
        let odd: Vec<bool> = batch.iter().map(|s| s.contains(['*', '#', '@'])).collect();
        if !self.fallback || !odd.contains(&true) {
            return self.translate_group(batch, self.fallback);
        }
        let pick = |want: bool| -> Vec<String> {
            batch.iter().zip(&odd).filter(|(_, &o)| o == want).map(|(s, _)| s.clone()).collect()
        };
        let mut marked = self.translate_group(&pick(false), true)?.into_iter();
        let mut plain = self.translate_group(&pick(true), false)?.into_iter();
        odd.iter()
            .map(|&o| if o { plain.next() } else { marked.next() })
            .map(|t| t.ok_or_else(|| TranslateError::Process("apertium batch misaligned".into())))
            .collect()
    }

    /// Translates sentences in one pipeline run (`marked`: with the unknown-word fallback); on a
    /// paragraph-count mismatch, bisects.
    fn translate_group(&self, batch: &[String], marked: bool) -> Result<Vec<String>, TranslateError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let input: String = batch.iter().map(|s| one_line(s)).collect::<Vec<_>>().join("\n\n") + "\n";
        let out = if marked {
            let (first, rest) = self.cfg.modes.split_at(1);
            let mid = self.run_chain(first, true, input)?;
            let (mid, words) = self.resolve_unknown(&mid)?;
            let out = if rest.is_empty() { mid } else { self.run_chain(rest, false, mid)? };
            restore_words(&out, &words)
        } else {
            self.run_chain(&self.cfg.modes, false, input)?
        };
        let parts: Vec<String> = paragraphs(&out).map(str::to_string).collect();
        if parts.len() == batch.len() {
            return Ok(parts.iter().map(|p| english_typography(p)).collect());
        }
        if batch.len() == 1 {
            return Ok(vec![english_typography(&out.split_whitespace().collect::<Vec<_>>().join(" "))]);
        }
        tracing::debug!(sent = batch.len(), got = parts.len(), "apertium paragraph mismatch; splitting the batch");
        let (a, b) = batch.split_at(batch.len() / 2);
        let mut res = self.translate_group(a, marked)?;
        res.extend(self.translate_group(b, marked)?);
        Ok(res)
    }
}

/// Placeholder for fallback word `i`: passes the second step unchanged (tested).
fn word_placeholder(i: usize) -> String {
    format!("Vw{i}x")
}

impl ApertiumTranslator {
    /// In the first step's marked output: `*word` (unknown) — lower-case words are translated
    /// through the fallback modes where they know them and replaced by placeholders, the others
    /// lose the mark; `#word` (could not be generated) loses the mark, as with `-u`. Returns the
    /// text and the English of each placeholder.
    fn resolve_unknown(&self, marked: &str) -> Result<(String, Vec<String>), TranslateError> {
        let word_end =
            |s: &str| s.find(|c: char| c.is_whitespace() || ".,;:!?\"()«»[]{}…".contains(c)).unwrap_or(s.len());
        // unknown lower-case words, in order of first appearance
        // (the source has no mark characters, so every `*` and `#` here is a mark; a compound
        // such as `*pick-*up` carries one per part)
        let clean = |w: &str| w.replace(['*', '#'], "");
        let mut unknown: Vec<String> = Vec::new();
        for (i, _) in marked.match_indices('*') {
            if i > 0 && !marked[..i].ends_with(char::is_whitespace) && !marked[..i].ends_with(['(', '"', '«', '\'']) {
                continue; // a mark inside a word already seen
            }
            let rest = &marked[i + 1..];
            let w = clean(&rest[..word_end(rest)]);
            if w.chars().next().is_some_and(char::is_lowercase) && !unknown.contains(&w) {
                unknown.push(w);
            }
        }
        let unknown_refs: Vec<&str> = unknown.iter().map(String::as_str).collect();
        let english = self.translate_words(&unknown_refs)?;
        let mut out = String::with_capacity(marked.len());
        let mut words: Vec<String> = Vec::new();
        let mut rest = marked;
        while let Some(i) = rest.find(['*', '#']) {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let w = &after[..word_end(after)];
            if w.is_empty() {
                out.push_str(&rest[i..i + 1]); // a lone mark character: kept
                rest = after;
                continue;
            }
            let cw = clean(w);
            match (rest.as_bytes()[i], unknown.iter().position(|u| *u == cw).and_then(|k| english[k].as_ref())) {
                (b'*', Some(en)) => {
                    out.push_str(&word_placeholder(words.len()));
                    words.push(en.clone());
                }
                _ => out.push_str(&cw),
            }
            rest = &after[w.len()..];
        }
        out.push_str(rest);
        Ok((out, words))
    }

    /// English for single words through the fallback modes, `None` where they do not know the
    /// word either (or the output cannot be aligned).
    fn translate_words(&self, words: &[&str]) -> Result<Vec<Option<String>>, TranslateError> {
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let (first, rest) = self.cfg.unknown_word_modes.split_at(1);
        let input = words.join("\n\n") + "\n";
        let mid = self.run_chain(first, true, input)?;
        let mid: Vec<&str> = paragraphs(&mid).collect();
        if mid.len() != words.len() {
            tracing::debug!(sent = words.len(), got = mid.len(), "unknown-word fallback misaligned; skipped");
            return Ok(vec![None; words.len()]);
        }
        let known: Vec<usize> =
            (0..words.len()).filter(|&i| !mid[i].is_empty() && !mid[i].contains(['*', '#', '@'])).collect();
        let mut out = vec![None; words.len()];
        if known.is_empty() {
            return Ok(out);
        }
        let en = if rest.is_empty() {
            known.iter().map(|&i| mid[i].to_string()).collect::<Vec<_>>()
        } else {
            let input = known.iter().map(|&i| mid[i]).collect::<Vec<_>>().join("\n\n") + "\n";
            let en = self.run_chain(rest, true, input)?;
            paragraphs(&en).map(str::to_string).collect()
        };
        if en.len() == known.len() {
            for (&i, e) in known.iter().zip(en) {
                // a word the last pair does not know either stays French rather than Catalan
                if !e.is_empty() && !e.contains(['*', '#', '@']) {
                    out[i] = Some(e);
                }
            }
        }
        Ok(out)
    }
}

/// The paragraphs (blank-line separated, trimmed) of an Apertium output: one per input sentence.
fn paragraphs(out: &str) -> impl Iterator<Item = &str> {
    out.trim_end_matches('\n').split("\n\n").map(str::trim)
}

/// Puts the fallback words back (highest index first, so `Vw1x` never matches inside `Vw11x`).
fn restore_words(text: &str, words: &[String]) -> String {
    let mut s = text.to_string();
    for (i, w) in words.iter().enumerate().rev() {
        s = s.replace(&word_placeholder(i), w);
    }
    s
}

/// English typography for what Apertium leaves French: « guillemets » → "quotes", decimal
/// commas (« 2,5 » → 2.5) and spaced thousands (« 3 000 » → 3,000; one to three digits, then
/// groups of three).
pub fn english_typography(s: &str) -> String {
    use std::sync::OnceLock;
    static RE: OnceLock<[regex::Regex; 4]> = OnceLock::new();
    let [open, close, decimal, thousands] = RE.get_or_init(|| {
        [
            regex::Regex::new(r"«[\s\u{a0}\u{202f}]*").expect("valid"),
            regex::Regex::new(r"[\s\u{a0}\u{202f}]*»").expect("valid"),
            regex::Regex::new(r"\b(\d+),(\d+)\b").expect("valid"),
            regex::Regex::new(r"\b\d{1,3}(?:[ \u{a0}\u{202f}]\d{3})+\b").expect("valid"),
        ]
    });
    let s = open.replace_all(s, "\"");
    let s = close.replace_all(&s, "\"");
    let s = decimal.replace_all(&s, "$1.$2");
    thousands.replace_all(&s, |c: &regex::Captures| c[0].replace([' ', '\u{a0}', '\u{202f}'], ",")).into_owned()
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
