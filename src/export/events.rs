//! Candidate event rows (CSV, RFC 4180, UTF-8, header line), one per document, with ACLED-like
//! columns filled from what the pipeline knows.
//!
//! These are candidates for a human coder, **not coded events**: the pipeline does not decide
//! whether a document reports an event, how many, who initiated it, or where exactly it happened.
//!
//! | column | meaning |
//! |---|---|
//! | `id` | document id |
//! | `date` | `meta.date` as given (publication date, not necessarily the event date) |
//! | `source` | `meta.source` |
//! | `url` | `meta.url` |
//! | `actor1`, `actor2` | first and second distinct armed groups in order of first mention (canonical name, else the surface text); not who attacked whom |
//! | `actor1_kind`, `actor2_kind` | their canonical kind (`state`, `foreign`, `pmc`, `rebel`, `separatist`, `jihadist`, `militia`, `peacekeeping`), empty when unknown |
//! | `locations` | distinct places mentioned, in order, `; `-separated (canonical names when known) |
//! | `latitude`, `longitude` | WGS84 point of the most precise place the document names (first town, else first region or area, else first country), from the entities' `geo`; empty when none is resolved |
//! | `geo_place` | that place's name (`geo.name`) |
//! | `geo_precision` | ACLED-style: 1 a town, 2 a region, area or natural feature, 3 a country |
//! | `weapons` | distinct weapons mentioned, same format |
//! | `summary_en` | the English summary (`summary.en`), empty until summaries exist |
//! | `n_entities` | number of entity mentions in the document (a rough relevance signal) |

use super::display_name;
use crate::doc::{Annotated, Entity, Geo, Label, PlaceKind};
use std::io::{self, Write};

/// The header line.
pub const COLUMNS: [&str; 16] = [
    "id",
    "date",
    "source",
    "url",
    "actor1",
    "actor1_kind",
    "actor2",
    "actor2_kind",
    "locations",
    "latitude",
    "longitude",
    "geo_place",
    "geo_precision",
    "weapons",
    "summary_en",
    "n_entities",
];

/// Distinct entities of `label` by display name, in order of first mention.
fn distinct(doc: &Annotated, label: Label) -> Vec<&Entity> {
    let mut out: Vec<&Entity> = Vec::new();
    for e in doc.entities.iter().filter(|e| e.label == label) {
        if !out.iter().any(|o| display_name(o) == display_name(e)) {
            out.push(e);
        }
    }
    out
}

fn meta(doc: &Annotated, key: &str) -> String {
    match doc.meta.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// One CSV field, quoted when needed.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// ACLED-style precision of a place kind: 1 town, 2 region/area/feature, 3 country.
fn precision(k: PlaceKind) -> u8 {
    match k {
        PlaceKind::Town | PlaceKind::Camp => 1,
        PlaceKind::Region | PlaceKind::Area | PlaceKind::Water | PlaceKind::Feature => 2,
        PlaceKind::Country | PlaceKind::Territory => 3,
    }
}

/// The most precise resolved place of a document (first mentioned among equals).
fn main_place(doc: &Annotated) -> Option<(&Geo, u8)> {
    doc.entities
        .iter()
        .filter(|e| e.label == Label::Location)
        .filter_map(|e| e.geo.as_ref()?.as_ref())
        .map(|g| (g, precision(g.kind)))
        .min_by_key(|(_, p)| *p)
}

/// The row of one document.
pub fn row(doc: &Annotated) -> Vec<String> {
    let actors = distinct(doc, Label::ArmedGroup);
    let actor = |i: usize| actors.get(i).map(|e| display_name(e).to_string()).unwrap_or_default();
    let kind = |i: usize| actors.get(i).and_then(|e| e.canonical.as_ref()?.kind.clone()).unwrap_or_default();
    let names = |l: Label| distinct(doc, l).iter().map(|e| display_name(e)).collect::<Vec<_>>().join("; ");
    let summary_en = doc.summary.as_ref().and_then(|s| s.en.clone()).unwrap_or_default();
    let place = main_place(doc);
    let coord = |f: fn(&Geo) -> f64| place.map(|(g, _)| format!("{:.5}", f(g))).unwrap_or_default();
    vec![
        doc.id.to_string(),
        meta(doc, "date"),
        meta(doc, "source"),
        meta(doc, "url"),
        actor(0),
        kind(0),
        actor(1),
        kind(1),
        names(Label::Location),
        coord(|g| g.lat),
        coord(|g| g.lon),
        place.map(|(g, _)| g.name.clone()).unwrap_or_default(),
        place.map(|(_, p)| p.to_string()).unwrap_or_default(),
        names(Label::Weapon),
        summary_en,
        doc.entities.len().to_string(),
    ]
}

fn write_row<S: AsRef<str>>(w: &mut dyn Write, cells: &[S]) -> io::Result<()> {
    let line: Vec<String> = cells.iter().map(|c| field(c.as_ref())).collect();
    write!(w, "{}\r\n", line.join(","))
}

/// Writes the header and one row per document.
pub fn write(docs: &[Annotated], w: &mut dyn Write) -> io::Result<()> {
    write_row(w, &COLUMNS)?;
    docs.iter().try_for_each(|d| write_row(w, &row(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("Kidal"), "Kidal");
        assert_eq!(field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
