//! Export stage: turning `vigie annotate` output (JSONL of [`Annotated`]) into the formats people
//! and other systems use.
//!
//! - [`Format::Html`]: one self-contained report file ([`html`]);
//! - [`Format::Brat`]: a brat collection, `.txt` + `.ann` per document ([`brat`], with a reader);
//! - [`Format::Conll`]: token-per-line BIO for NER training and evaluation tools ([`conll`]);
//! - [`Format::EventsCsv`]: one candidate event row per document for a human coder ([`events`]);
//! - [`Format::Geojson`]: one GeoJSON `Feature` per resolved place per document ([`geojson`]).
//!
//! Input lines are checked before anything is written: each must be a JSON object with the fields
//! of [`Annotated`], and every entity span must lie in the text and match its `text` (code points
//! and bytes), sorted and non-overlapping. A bad line stops the export with its line number.

pub mod brat;
pub mod conll;
pub mod events;
pub mod geojson;
pub mod html;
pub mod map;

use crate::doc::{Annotated, Entity, Geo, Label};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// Output formats of `vigie export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Self-contained HTML report (one file).
    Html,
    /// brat standoff collection (a directory of `.txt` + `.ann`).
    Brat,
    /// Token-per-line BIO (one file).
    Conll,
    /// One candidate event row per document (CSV file).
    EventsCsv,
    /// GeoJSON FeatureCollection: one point per resolved place per document (one file).
    Geojson,
}

/// What went wrong in one input line.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LineError {
    #[error("not JSONL: {0}")]
    NotJson(String),
    #[error("missing field \"{0}\"")]
    MissingField(&'static str),
    #[error("bad field: {0}")]
    BadField(String),
    #[error("entity {entity}: offsets {start}..{end} out of range for a text of {len} chars")]
    OutOfRange { entity: usize, start: usize, end: usize, len: usize },
    #[error("entity {entity}: entity text does not match the span (span {start}..{end} is {span:?}, entity text is {text:?})")]
    TextMismatch { entity: usize, start: usize, end: usize, span: String, text: String },
    #[error("entity {entity}: byte offsets {start}..{end} do not match the entity text")]
    ByteMismatch { entity: usize, start: usize, end: usize },
    #[error("entity {entity}: starts at {start}, before the end of the previous entity ({prev_end}); entities must be sorted and must not overlap")]
    Overlap { entity: usize, start: usize, prev_end: usize },
    #[error("sentence {sentence}: offsets {start}..{end} out of range for a text of {len} chars")]
    SentenceOutOfRange { sentence: usize, start: usize, end: usize, len: usize },
}

/// Export failures: I/O or a bad input line (1-based line number; entities are numbered from 1).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: line {line}: {problem}")]
    Line { path: PathBuf, line: usize, problem: LineError },
    #[error("{path}: no documents")]
    Empty { path: PathBuf },
    /// The output would overwrite the input.
    #[error(transparent)]
    Refused(#[from] crate::ingest::IngestError),
}

impl ExportError {
    pub fn io(path: &Path) -> impl FnOnce(io::Error) -> ExportError + '_ {
        move |source| ExportError::Io { path: path.to_path_buf(), source }
    }
}

/// Canonical name of an entity, else its surface text.
pub fn display_name(e: &Entity) -> &str {
    e.canonical.as_ref().map(|c| c.name.as_str()).unwrap_or(&e.text)
}

/// A resolved place of a document and its mentions, in order of first mention.
#[derive(Debug)]
pub struct DocPlace<'a> {
    /// `gn:<geonameid>`, or `pt:<name>@<lat>,<lon>` for places without a GeoNames id.
    pub key: String,
    pub geo: &'a Geo,
    pub mentions: Vec<&'a Entity>,
}

/// The key of a resolved place (same place, same key, across documents).
pub fn place_key(g: &Geo) -> String {
    match g.geonameid {
        Some(id) => format!("gn:{id}"),
        None => format!("pt:{}@{:.4},{:.4}", g.name, g.lat, g.lon),
    }
}

/// The document's LOCATION entities that have coordinates, grouped by place.
pub fn doc_places(doc: &Annotated) -> Vec<DocPlace<'_>> {
    let mut out: Vec<DocPlace> = Vec::new();
    for e in doc.entities.iter().filter(|e| e.label == Label::Location) {
        let Some(Some(g)) = &e.geo else { continue };
        let key = place_key(g);
        match out.iter_mut().find(|p| p.key == key) {
            Some(p) => p.mentions.push(e),
            None => out.push(DocPlace { key, geo: g, mentions: vec![e] }),
        }
    }
    out
}

/// Fields every input line must have, in the order they are checked.
const REQUIRED: [&str; 8] = ["id", "text", "lang", "meta", "sentences", "entities", "summary", "pipeline"];

/// Parses and checks one line of annotated JSONL.
pub fn parse_line(line: &str) -> Result<Annotated, LineError> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| LineError::NotJson(e.to_string()))?;
    let obj = value.as_object().ok_or_else(|| LineError::NotJson("a line is not a JSON object".into()))?;
    if let Some(missing) = REQUIRED.iter().find(|f| !obj.contains_key(**f)) {
        return Err(LineError::MissingField(missing));
    }
    let doc: Annotated = serde_json::from_value(value).map_err(|e| LineError::BadField(e.to_string()))?;
    check_spans(&doc)?;
    Ok(doc)
}

/// Entities and sentences lie in the text; entity spans match their text and do not overlap.
fn check_spans(doc: &Annotated) -> Result<(), LineError> {
    let chars: Vec<char> = doc.text.chars().collect();
    let len = chars.len();
    let mut prev_end = 0;
    for (i, e) in doc.entities.iter().enumerate() {
        let entity = i + 1;
        if e.start >= e.end || e.end > len {
            return Err(LineError::OutOfRange { entity, start: e.start, end: e.end, len });
        }
        if e.start < prev_end {
            return Err(LineError::Overlap { entity, start: e.start, prev_end });
        }
        let span: String = chars[e.start..e.end].iter().collect();
        if span != e.text {
            return Err(LineError::TextMismatch { entity, start: e.start, end: e.end, span, text: e.text.clone() });
        }
        if doc.text.get(e.start_byte..e.end_byte) != Some(e.text.as_str()) {
            return Err(LineError::ByteMismatch { entity, start: e.start_byte, end: e.end_byte });
        }
        prev_end = e.end;
    }
    for (i, s) in doc.sentences.iter().enumerate() {
        if s.start > s.end || s.end > len {
            return Err(LineError::SentenceOutOfRange { sentence: i + 1, start: s.start, end: s.end, len });
        }
    }
    Ok(())
}

/// Streams checked documents from an annotated JSONL file (blank lines are skipped).
pub struct Reader {
    lines: io::Lines<BufReader<File>>,
    line: usize,
    path: PathBuf,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader, ExportError> {
        let f = File::open(path).map_err(ExportError::io(path))?;
        Ok(Reader { lines: BufReader::new(f).lines(), line: 0, path: path.to_path_buf() })
    }
}

impl Iterator for Reader {
    type Item = Result<Annotated, ExportError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line += 1;
            let text = match self.lines.next()? {
                Ok(t) => t,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    let problem = LineError::NotJson("not valid UTF-8".into());
                    return Some(Err(ExportError::Line { path: self.path.clone(), line: self.line, problem }));
                }
                Err(source) => return Some(Err(ExportError::Io { path: self.path.clone(), source })),
            };
            if text.trim().is_empty() {
                continue;
            }
            let res = parse_line(&text).map_err(|problem| ExportError::Line {
                path: self.path.clone(),
                line: self.line,
                problem,
            });
            return Some(res);
        }
    }
}

/// Reads and checks every document of an annotated JSONL file.
pub fn read_all(path: &Path) -> Result<Vec<Annotated>, ExportError> {
    let docs = Reader::open(path)?.collect::<Result<Vec<_>, _>>()?;
    if docs.is_empty() {
        return Err(ExportError::Empty { path: path.to_path_buf() });
    }
    Ok(docs)
}

/// Exports `input` (annotated JSONL) to `output` (a file, or a directory for brat); returns the
/// number of documents exported. Nothing is written when an input line is bad.
pub fn export(input: &Path, format: Format, output: &Path) -> Result<usize, ExportError> {
    // the annotated input is never overwritten (also through a link), checked before reading
    let input_file = crate::ingest::InputFile::plain(input);
    crate::ingest::check_outputs(std::slice::from_ref(&input_file), &[("-o", output)])?;
    let docs = read_all(input)?;
    match format {
        Format::Html => write_file(output, |w| html::write_report(&docs, w)),
        Format::Conll => write_file(output, |w| conll::write(&docs, w)),
        Format::EventsCsv => write_file(output, |w| events::write(&docs, w)),
        Format::Geojson => write_file(output, |w| geojson::write(&docs, w).map(|_| ())),
        Format::Brat => brat::write_collection(&docs, output).map_err(ExportError::io(output)),
    }?;
    Ok(docs.len())
}

/// Writes a file through a temporary file next to it, renamed into place once complete.
pub fn write_file(path: &Path, body: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), ExportError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).map_err(ExportError::io(path))?;
    {
        let mut w = io::BufWriter::new(tmp.as_file_mut());
        body(&mut w).and_then(|_| w.flush()).map_err(ExportError::io(path))?;
    }
    tmp.persist(path).map_err(|e| ExportError::Io { path: path.to_path_buf(), source: e.error })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, ents: &str) -> String {
        format!(
            r#"{{"id":"a","text":{text:?},"lang":"fr","meta":{{}},"sentences":[],"entities":[{ents}],"summary":null,"pipeline":{{"version":"0","models":{{}}}}}}"#
        )
    }

    #[test]
    fn good_line_parses() {
        let l = line(
            "Le FLA.",
            r#"{"start":3,"end":6,"start_byte":3,"end_byte":6,"text":"FLA","label":"ARMED_GROUP","score":1.0,"source":"lexicon"}"#,
        );
        assert_eq!(parse_line(&l).unwrap().entities.len(), 1);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(matches!(parse_line("id,text"), Err(LineError::NotJson(_))));
        assert_eq!(parse_line(r#"{"id":1}"#), Err(LineError::MissingField("text")));
        let far = line(
            "Le FLA.",
            r#"{"start":3,"end":99,"start_byte":3,"end_byte":6,"text":"FLA","label":"ARMED_GROUP","score":1.0,"source":"lexicon"}"#,
        );
        assert_eq!(
            parse_line(&far).unwrap_err().to_string(),
            "entity 1: offsets 3..99 out of range for a text of 7 chars"
        );
        let wrong = line(
            "Le FLA.",
            r#"{"start":2,"end":5,"start_byte":2,"end_byte":5,"text":"FLA","label":"ARMED_GROUP","score":1.0,"source":"lexicon"}"#,
        );
        assert!(parse_line(&wrong).unwrap_err().to_string().contains("entity text does not match the span"));
    }
}
