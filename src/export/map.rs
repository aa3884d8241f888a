//! The report's map: country outlines (Natural Earth 1:110m, public domain, via npm
//! `world-atlas` 2.0.2; `scripts/make_map_outlines.py` writes `map/outlines.svg`) of Africa, the
//! Middle East and Europe, and one dot per resolved place, its area proportional to the number
//! of mentions. Inline SVG: no tiles, no network.
//!
//! Projection: plate carrée at 10 px per degree over lon −26…76, lat −36…62 (the same constants
//! as the outline script). Places outside the extent are counted under the map.

use super::doc_places;
use super::html::escape;
use crate::doc::Annotated;
use std::collections::HashMap;

pub const LON0: f64 = -26.0;
pub const LON1: f64 = 76.0;
pub const LAT0: f64 = -36.0;
pub const LAT1: f64 = 62.0;
/// Pixels per degree.
pub const K: f64 = 10.0;
const OUTLINES: &str = include_str!("map/outlines.svg");

/// A place over the whole corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct MapPlace {
    pub key: String,
    pub name: String,
    pub country: Option<String>,
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub mentions: usize,
    pub docs: usize,
}

/// The corpus's resolved places, most mentioned first (then by name).
pub fn places(docs: &[Annotated]) -> Vec<MapPlace> {
    let mut by_key: HashMap<String, MapPlace> = HashMap::new();
    for d in docs {
        for p in doc_places(d) {
            let e = by_key.entry(p.key.clone()).or_insert_with(|| MapPlace {
                key: p.key.clone(),
                name: p.geo.name.clone(),
                country: p.geo.country.clone(),
                kind: p.geo.kind.as_str(),
                lat: p.geo.lat,
                lon: p.geo.lon,
                mentions: 0,
                docs: 0,
            });
            e.mentions += p.mentions.len();
            e.docs += 1;
        }
    }
    let mut v: Vec<MapPlace> = by_key.into_values().collect();
    v.sort_by(|a, b| b.mentions.cmp(&a.mentions).then_with(|| a.name.cmp(&b.name)).then_with(|| a.key.cmp(&b.key)));
    v
}

/// (x, y) in the map's pixels, `None` outside the extent.
pub fn project(lat: f64, lon: f64) -> Option<(f64, f64)> {
    ((LON0..=LON1).contains(&lon) && (LAT0..=LAT1).contains(&lat)).then(|| ((lon - LON0) * K, (LAT1 - lat) * K))
}

/// The map section: an SVG with the outlines and a dot per place (`data-place` = the place key
/// the page script filters documents by), or a note when no place has coordinates.
pub fn section(docs: &[Annotated]) -> String {
    let places = places(docs);
    if places.is_empty() {
        return "<section id=\"map\"><h2>Map</h2><p class=meta>No place with coordinates (geocoding off, or no LOCATION resolved).</p></section>".into();
    }
    let max = places.iter().map(|p| p.mentions).max().unwrap_or(1) as f64;
    let inside: Vec<(&MapPlace, (f64, f64))> =
        places.iter().filter_map(|p| Some((p, project(p.lat, p.lon)?))).collect();
    let outside = places.len() - inside.len();
    let (w, h) = ((LON1 - LON0) * K, (LAT1 - LAT0) * K);
    // the view: the dots' bounding box, padded, at least a quarter of the map wide, same shape
    let (vx, vy, vw, vh) = if inside.is_empty() {
        (0.0, 0.0, w, h)
    } else {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (_, (x, y)) in &inside {
            (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
        }
        let side = ((x1 - x0).max(y1 - y0) + 160.0).max(w / 4.0).min(w.min(h));
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let vx = (cx - side / 2.0).clamp(0.0, w - side);
        let vy = (cy - side / 2.0).clamp(0.0, h - side);
        if (x1 - x0) + 160.0 > w.min(h) || (y1 - y0) + 160.0 > w.min(h) {
            (0.0, 0.0, w, h)
        } else {
            (vx, vy, side, side)
        }
    };
    let scale = vw / w;
    let mut dots = String::new();
    // biggest first, so that small dots stay clickable on top
    for (p, (x, y)) in &inside {
        let r = scale * (3.0 + 9.0 * (p.mentions as f64 / max).sqrt());
        let cc = p.country.as_deref().map(|c| format!(" ({c})")).unwrap_or_default();
        dots.push_str(&format!(
            "<circle class=\"dot\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.2}\" data-place=\"{key}\" tabindex=\"0\"><title>{name}{cc} · {kind} · {m} mention{ms} in {d} document{ds}</title></circle>",
            key = escape(&p.key),
            name = escape(&p.name),
            kind = p.kind,
            m = p.mentions,
            ms = if p.mentions == 1 { "" } else { "s" },
            d = p.docs,
            ds = if p.docs == 1 { "" } else { "s" },
        ));
    }
    // names of the most mentioned places
    let mut labels = String::new();
    for (p, (x, y)) in inside.iter().take(8) {
        let r = scale * (3.0 + 9.0 * (p.mentions as f64 / max).sqrt());
        labels.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\">{}</text>",
            x + r + 2.0 * scale,
            y + 4.0 * scale,
            13.0 * scale,
            escape(&p.name)
        ));
    }
    format!(
        "<section id=\"map\"><h2>Map</h2><p class=meta>{n} places with coordinates; click a dot to list its documents.{out} \
         Outlines: Natural Earth (public domain). Places: GeoNames (CC BY 4.0) and the vigie lexicon.</p>\
         <p id=\"placefilter\" hidden></p>\
         <svg id=\"mapsvg\" viewBox=\"{vx:.0} {vy:.0} {vw:.0} {vh:.0}\" role=\"img\" aria-label=\"Map of the places mentioned\">\
         <rect class=\"sea\" width=\"{w}\" height=\"{h}\"/>{OUTLINES}<g class=\"dots\">{dots}</g><g class=\"names\">{labels}</g></svg></section>",
        n = places.len(),
        out = if outside > 0 { format!(" {outside} outside the map's extent (Americas, Asia, Pacific).") } else { String::new() },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_corners_and_outside() {
        assert_eq!(project(LAT1, LON0), Some((0.0, 0.0)));
        assert_eq!(project(LAT0, LON1), Some((1020.0, 980.0)));
        // Bamako
        let (x, y) = project(12.65, -8.0).unwrap();
        assert!((x - 180.0).abs() < 1e-9 && (y - 493.5).abs() < 1e-9);
        assert_eq!(project(18.5, -72.3), None); // Port-au-Prince
        assert!(OUTLINES.contains("<title>Mali</title>") && OUTLINES.contains("<title>Ukraine</title>"));
    }
}
