//! The HTML report: one self-contained file (inline CSS and JavaScript, no external resource, a
//! Content-Security-Policy that forbids any network access).
//!
//! The corpus overview (entities per label, top actors, places and weapons) is rendered here; the
//! documents are embedded as JSON in a `<script type="application/json">` element and rendered by
//! the page's script 50 per page, with a search box (text, entity, canonical name, label) and a
//! label filter, so 10,000 documents stay responsive. Document text is only ever inserted with
//! `textContent`, and the JSON is escaped so that no `<` appears in it: text such as `<script>` is
//! shown as text.
//!
//! A map ([`super::map`]) shows one dot per resolved place; clicking a dot lists the documents
//! that name that place.
//!
//! Opening the page with `#selftest` makes the script write a JSON summary of what it rendered
//! (highlights per label, errors caught) into `<pre id="selftest">`, for headless-browser tests.

use super::display_name;
use crate::doc::{Annotated, Label};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

const CSS: &str = include_str!("report.css");
const JS: &str = include_str!("report.js");
const TOP: usize = 10;

/// Highlight colour per label.
fn colour(l: Label) -> &'static str {
    match l {
        Label::ArmedGroup => "#f8a5a5",
        Label::Location => "#9fd3f5",
        Label::Weapon => "#ffd27a",
        Label::Person => "#b9e4a8",
        Label::Org => "#d4bff2",
        Label::Misc => "#d9d9d9",
    }
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// What the page script needs of one document.
#[derive(Serialize)]
struct DocView<'a> {
    id: String,
    title: String,
    date: String,
    source: String,
    /// Only `http(s)` URLs, shown as links.
    url: String,
    text: &'a str,
    /// `[start, end, label, canonical name, kind, score, place]`, code points; `place` is the
    /// resolved place of a LOCATION (« Kidal (ML) 18.443, 1.409 »), else empty.
    ents: Vec<(usize, usize, &'static str, &'a str, &'a str, f32, String)>,
    /// Keys of the document's resolved places (what a click on the map filters by).
    places: Vec<String>,
    summary: Option<SummaryView>,
}

/// The summary fields the report shows.
#[derive(Serialize)]
struct SummaryView {
    /// French summary sentences as code-point spans of the text.
    fr: Vec<(usize, usize)>,
    en: String,
    en_brief: String,
    translator: String,
}

fn meta_str(doc: &Annotated, key: &str) -> String {
    doc.meta.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

fn summary_view(doc: &Annotated, len: usize) -> Option<SummaryView> {
    let s = doc.summary.as_ref()?;
    Some(SummaryView {
        fr: s.fr.iter().map(|c| (c.start, c.end)).filter(|(a, b)| a < b && *b <= len).collect(),
        en: s.en.clone().unwrap_or_default(),
        en_brief: s.en_brief.clone(),
        translator: s.translator.clone(),
    })
}

fn doc_view(doc: &Annotated) -> DocView<'_> {
    let url = meta_str(doc, "url");
    let ents = doc
        .entities
        .iter()
        .map(|e| {
            let c = e.canonical.as_ref();
            (
                e.start,
                e.end,
                e.label.as_str(),
                c.map_or("", |c| c.name.as_str()),
                c.and_then(|c| c.kind.as_deref()).unwrap_or(""),
                e.score,
                match &e.geo {
                    Some(Some(g)) => format!(
                        "{}{} {:.3}, {:.3}",
                        g.name,
                        g.country.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(),
                        g.lat,
                        g.lon
                    ),
                    Some(None) => "unresolved".into(),
                    None => String::new(),
                },
            )
        })
        .collect();
    DocView {
        id: doc.id.to_string(),
        title: meta_str(doc, "title"),
        date: meta_str(doc, "date"),
        source: meta_str(doc, "source"),
        url: if url.starts_with("https://") || url.starts_with("http://") { url } else { String::new() },
        text: &doc.text,
        ents,
        places: super::doc_places(doc).into_iter().map(|p| p.key).collect(),
        summary: summary_view(doc, doc.text.chars().count()),
    }
}

/// The documents as JSON safe to embed in a `<script>` element.
fn data_json(docs: &[Annotated]) -> String {
    let views: Vec<DocView> = docs.iter().map(doc_view).collect();
    // Plain data with string keys: serialising cannot fail.
    let json = serde_json::to_string(&views).expect("serialising report data");
    json.replace('<', "\\u003c").replace('\u{2028}', "\\u2028").replace('\u{2029}', "\\u2029")
}

/// The `TOP` most mentioned names of a label, with counts.
fn top(docs: &[Annotated], label: Label) -> Vec<(String, usize)> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in docs.iter().flat_map(|d| &d.entities).filter(|e| e.label == label) {
        *counts.entry(display_name(e)).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(TOP);
    v
}

fn table(title: &str, rows: &[(String, usize)]) -> String {
    let body: String =
        rows.iter().map(|(k, n)| format!("<tr><td>{}</td><td class=n>{n}</td></tr>", escape(k))).collect();
    format!("<div class=card><h3>{}</h3><table>{body}</table></div>", escape(title))
}

fn label_counts(docs: &[Annotated]) -> Vec<(Label, usize)> {
    Label::ALL.iter().map(|&l| (l, docs.iter().flat_map(|d| &d.entities).filter(|e| e.label == l).count())).collect()
}

fn legend(counts: &[(Label, usize)]) -> String {
    let items: String =
        counts.iter().map(|(l, n)| format!("<span class=\"ent l-{l}\">{l}</span> <span class=n>{n}</span> ")).collect();
    format!("<p class=legend>{items}</p>")
}

fn overview(docs: &[Annotated], counts: &[(Label, usize)]) -> String {
    let per_label: Vec<(String, usize)> = counts.iter().map(|(l, n)| (l.to_string(), *n)).collect();
    [
        table("Entities per label", &per_label),
        table("Top actors (armed groups)", &top(docs, Label::ArmedGroup)),
        table("Top places", &top(docs, Label::Location)),
        table("Top weapons", &top(docs, Label::Weapon)),
    ]
    .concat()
}

fn style() -> String {
    let labels: String = Label::ALL.iter().map(|&l| format!(".l-{l}{{background:{}}}\n", colour(l))).collect();
    format!("{CSS}{labels}")
}

/// Writes the report for `docs`.
pub fn write_report(docs: &[Annotated], w: &mut dyn Write) -> io::Result<()> {
    let counts = label_counts(docs);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let version = docs.first().map(|d| d.pipeline.version.as_str()).unwrap_or("");
    let options: String = Label::ALL.iter().map(|l| format!("<option value=\"{l}\">{l}</option>")).collect();
    write!(
        w,
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vigie report: {n} documents</title>
<style>{style}</style></head><body>
<header><h1>vigie report</h1><p>{n} documents, {total} entities, pipeline {version}</p>{legend}</header>
<section id="overview"><h2>Overview</h2><div class="cards">{overview}</div></section>
{map}
<section id="controls"><input id="q" type="search" placeholder="Search text, entity, canonical name or label" aria-label="Search">
<select id="label" aria-label="Label filter"><option value="">all labels</option>{options}</select>
<button id="prev" type="button">&lsaquo; prev</button> <span id="pageinfo"></span> <button id="next" type="button">next &rsaquo;</button></section>
<main id="docs"><noscript>The document list needs JavaScript.</noscript></main>
<pre id="selftest" hidden></pre>
<script type="application/json" id="data">{data}</script>
<script>{JS}</script>
</body></html>
"#,
        n = docs.len(),
        style = style(),
        version = escape(version),
        legend = legend(&counts),
        overview = overview(docs, &counts),
        map = super::map::section(docs),
        data = data_json(docs),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<script>'&\""), "&lt;script&gt;&#39;&amp;&quot;");
    }
}
