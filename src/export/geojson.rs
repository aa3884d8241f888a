//! GeoJSON (RFC 7946): one `Feature` per resolved place per document, a `Point` at the place's
//! WGS84 longitude and latitude, for QGIS, kepler.gl or any GIS.
//!
//! Properties: `doc_id`, `date`, `title`, `source`, `url` (from `meta`), `text` (the first
//! mention as written), `mentions` (how many times the document names the place), `surfaces`
//! (the distinct forms), `label` (`LOCATION`), `start`/`end` (code points of the first
//! mention), `name`, `geonameid`, `country`, `kind`, `score` (from `geo`) and `actors` (the
//! document's distinct armed groups). LOCATION entities with `geo: null` have no coordinates and
//! no feature; the export's message counts them.

use super::{display_name, doc_places};
use crate::doc::{Annotated, Label};
use serde_json::{json, Map, Value};
use std::io::{self, Write};

fn meta(doc: &Annotated, key: &str) -> Value {
    doc.meta.get(key).cloned().unwrap_or(Value::Null)
}

/// The features of one document.
pub fn features(doc: &Annotated) -> Vec<Value> {
    let mut actors: Vec<&str> = Vec::new();
    for e in doc.entities.iter().filter(|e| e.label == Label::ArmedGroup) {
        let n = display_name(e);
        if !actors.contains(&n) {
            actors.push(n);
        }
    }
    doc_places(doc)
        .into_iter()
        .map(|p| {
            let first = p.mentions[0];
            let mut surfaces: Vec<&str> = Vec::new();
            for m in &p.mentions {
                if !surfaces.contains(&m.text.as_str()) {
                    surfaces.push(&m.text);
                }
            }
            let mut props = Map::new();
            props.insert("doc_id".into(), serde_json::to_value(&doc.id).unwrap_or(Value::Null));
            for k in ["date", "title", "source", "url"] {
                props.insert(k.into(), meta(doc, k));
            }
            props.insert("text".into(), first.text.clone().into());
            props.insert("mentions".into(), p.mentions.len().into());
            props.insert("surfaces".into(), json!(surfaces));
            props.insert("label".into(), Label::Location.as_str().into());
            props.insert("start".into(), first.start.into());
            props.insert("end".into(), first.end.into());
            props.insert("name".into(), p.geo.name.clone().into());
            props.insert("geonameid".into(), json!(p.geo.geonameid));
            props.insert("country".into(), json!(p.geo.country));
            props.insert("kind".into(), p.geo.kind.as_str().into());
            props.insert("score".into(), json!(p.geo.score));
            props.insert("actors".into(), json!(actors));
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [p.geo.lon, p.geo.lat]},
                "properties": props,
            })
        })
        .collect()
}

/// Writes a `FeatureCollection` of every document's places; returns (features, LOCATION
/// mentions without coordinates).
pub fn write(docs: &[Annotated], w: &mut dyn Write) -> io::Result<(usize, usize)> {
    let mut n = 0;
    let mut unresolved = 0;
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for d in docs {
        unresolved +=
            d.entities.iter().filter(|e| e.label == Label::Location && !matches!(e.geo, Some(Some(_)))).count();
        for f in features(d) {
            if n > 0 {
                w.write_all(b",\n")?;
            }
            serde_json::to_writer(&mut *w, &f)?;
            n += 1;
        }
    }
    w.write_all(b"\n]}\n")?;
    Ok((n, unresolved))
}
