//! Geocoding evaluation: accuracy@161 km (the standard geoparsing measure: a place within 100
//! miles of the truth counts as right), exact GeoNames-id accuracy on populated places, and
//! mean / median error in km.
//!
//! Gold: JSONL, one paragraph per line,
//! `{"id", "text", "places": [{"start", "end", "text", "kind", "lat", "lon", "geonameid"}]}`
//! with code-point offsets (end exclusive) and `geonameid` `null` where the place has none
//! (regions, areas, towns missing from GeoNames' cities500).
//!
//! A gold place is *recognised* when a predicted LOCATION has the same span, or else overlaps
//! it; it is *right at 161 km* when that entity's `geo` is within 161 km of the gold point.
//! Figures are given over all gold places (end to end: a place the tagger missed or the
//! geocoder left `null` counts as wrong) and over the recognised ones (the geocoder alone).

use crate::doc::{Annotated, Entity, Label};
use crate::geo::distance_km;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The accuracy radius: 100 miles.
pub const RADIUS_KM: f64 = 161.0;

#[derive(Debug, Clone, Deserialize)]
pub struct GoldPlace {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub geonameid: Option<u64>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoldDoc {
    pub id: serde_json::Value,
    pub text: String,
    #[serde(default)]
    pub date: Option<String>,
    pub places: Vec<GoldPlace>,
}

/// Parses and checks a gold file: offsets inside the text and matching `text`, coordinates
/// in range. Errors name the line.
pub fn read_gold(content: &str) -> Result<Vec<GoldDoc>, String> {
    let mut docs = Vec::new();
    for (i, line) in content.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i + 1;
        let d: GoldDoc = serde_json::from_str(line).map_err(|e| format!("line {n}: {e}"))?;
        let chars: Vec<char> = d.text.chars().collect();
        for p in &d.places {
            if p.start >= p.end || p.end > chars.len() {
                return Err(format!(
                    "line {n}: place {:?} has offsets {}..{} outside the text",
                    p.text, p.start, p.end
                ));
            }
            let got: String = chars[p.start..p.end].iter().collect();
            if got != p.text {
                return Err(format!("line {n}: text[{}..{}] is {got:?}, not {:?}", p.start, p.end, p.text));
            }
            if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lon) {
                return Err(format!("line {n}: {:?} has coordinates out of range", p.text));
            }
        }
        docs.push(d);
    }
    Ok(docs)
}

/// What happened to one gold place.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No predicted LOCATION on its span.
    Missed,
    /// Recognised, `geo` null (or absent).
    Unresolved,
    /// Resolved: distance in km and whether the GeoNames id is the gold one.
    Resolved { km: f64, same_id: bool, name: String, lat: f64, lon: f64 },
}

/// One scored gold place.
#[derive(Debug, Clone)]
pub struct Scored {
    pub doc: String,
    pub place: GoldPlace,
    pub outcome: Outcome,
}

fn find<'a>(entities: &'a [Entity], p: &GoldPlace) -> Option<&'a Entity> {
    let locs = || entities.iter().filter(|e| e.label == Label::Location);
    locs()
        .find(|e| e.start == p.start && e.end == p.end)
        .or_else(|| locs().find(|e| e.start < p.end && p.start < e.end))
}

/// Scores each gold place against the annotated record of its paragraph (same order).
pub fn score(gold: &[GoldDoc], predicted: &[Annotated]) -> Vec<Scored> {
    let mut out = Vec::new();
    for (g, a) in gold.iter().zip(predicted) {
        let doc = match &g.id {
            serde_json::Value::String(s) => s.clone(),
            v => v.to_string(),
        };
        for p in &g.places {
            let outcome = match find(&a.entities, p) {
                None => Outcome::Missed,
                Some(e) => match e.geo.as_ref().and_then(|g| g.as_ref()) {
                    None => Outcome::Unresolved,
                    Some(geo) => Outcome::Resolved {
                        km: distance_km((p.lat, p.lon), (geo.lat, geo.lon)),
                        same_id: p.geonameid.is_some() && geo.geonameid == p.geonameid,
                        name: geo.name.clone(),
                        lat: geo.lat,
                        lon: geo.lon,
                    },
                },
            };
            out.push(Scored { doc: doc.clone(), place: p.clone(), outcome });
        }
    }
    out
}

/// Summary figures of a set of scored places.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub places: usize,
    pub recognised: usize,
    pub resolved: usize,
    pub within_161: usize,
    /// Gold populated places (kind town) with a GeoNames id, and how many got that id.
    pub with_id: usize,
    pub same_id: usize,
    /// Of those, how many were recognised.
    pub with_id_recognised: usize,
    pub mean_km: f64,
    pub median_km: f64,
}

impl Figures {
    pub fn of(scored: &[Scored]) -> Figures {
        let mut f = Figures { places: scored.len(), ..Default::default() };
        let mut kms = Vec::new();
        for s in scored {
            let populated = s.place.kind == "town" && s.place.geonameid.is_some();
            f.with_id += populated as usize;
            if s.outcome != Outcome::Missed {
                f.recognised += 1;
                f.with_id_recognised += populated as usize;
            }
            if let Outcome::Resolved { km, same_id, .. } = s.outcome {
                f.resolved += 1;
                f.within_161 += (km <= RADIUS_KM) as usize;
                f.same_id += (populated && same_id) as usize;
                kms.push(km);
            }
        }
        if !kms.is_empty() {
            f.mean_km = kms.iter().sum::<f64>() / kms.len() as f64;
            kms.sort_by(f64::total_cmp);
            f.median_km = kms[kms.len() / 2];
        }
        f
    }

    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 {
            0.0
        } else {
            a as f64 / b as f64
        }
    }

    /// accuracy@161 km over all gold places.
    pub fn acc161(&self) -> f64 {
        Self::ratio(self.within_161, self.places)
    }
    /// accuracy@161 km over the recognised places.
    pub fn acc161_recognised(&self) -> f64 {
        Self::ratio(self.within_161, self.recognised)
    }
    /// Exact GeoNames id over the gold populated places that have one.
    pub fn id_accuracy(&self) -> f64 {
        Self::ratio(self.same_id, self.with_id)
    }
    /// The same over those recognised.
    pub fn id_accuracy_recognised(&self) -> f64 {
        Self::ratio(self.same_id, self.with_id_recognised)
    }
}

/// Figures per gold kind.
pub fn by_kind(scored: &[Scored]) -> BTreeMap<String, Figures> {
    let mut groups: BTreeMap<String, Vec<Scored>> = BTreeMap::new();
    for s in scored {
        groups.entry(s.place.kind.clone()).or_default().push(s.clone());
    }
    groups.into_iter().map(|(k, v)| (k, Figures::of(&v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Geo, PlaceKind, Source};

    fn record(text: &str, ents: Vec<Entity>) -> Annotated {
        Annotated {
            id: crate::doc::DocId::Str("d".into()),
            text: text.into(),
            lang: "fr".into(),
            meta: Default::default(),
            sentences: vec![],
            entities: ents,
            summary: None,
            pipeline: crate::doc::PipelineInfo { version: "x".into(), models: Default::default() },
        }
    }

    fn loc(start: usize, end: usize, geo: Option<(f64, f64, Option<u64>)>) -> Entity {
        Entity {
            start,
            end,
            start_byte: start,
            end_byte: end,
            text: String::new(),
            label: Label::Location,
            score: 1.0,
            source: Source::Lexicon,
            canonical: None,
            geo: Some(geo.map(|(lat, lon, id)| Geo {
                geonameid: id,
                name: "x".into(),
                lat,
                lon,
                country: None,
                kind: PlaceKind::Town,
                score: 1.0,
            })),
        }
    }

    #[test]
    fn scores_end_to_end_and_recognised() {
        let text = "A Gao, Kidal, Pama et Tessit.";
        let gold = read_gold(
            &format!(
                r#"{{"id": "d", "text": "{text}", "places": [
              {{"start": 2, "end": 5, "text": "Gao", "kind": "town", "lat": 16.27, "lon": -0.04, "geonameid": 1}},
              {{"start": 7, "end": 12, "text": "Kidal", "kind": "region", "lat": 19.5, "lon": 1.2, "geonameid": null}},
              {{"start": 14, "end": 18, "text": "Pama", "kind": "town", "lat": 11.25, "lon": 0.7, "geonameid": 3}},
              {{"start": 22, "end": 28, "text": "Tessit", "kind": "town", "lat": 15.0, "lon": 0.9, "geonameid": 4}}]}}"#
            )
            .replace('\n', ""),
        )
        .unwrap();
        let pred = record(
            text,
            vec![
                loc(2, 5, Some((16.27, -0.04, Some(1)))), // right, same id
                loc(7, 12, Some((18.44, 1.41, Some(2)))), // town for the region: 118 km, within
                loc(14, 18, Some((47.9, 14.0, Some(9)))), // Austria: wrong
                                                          // Tessit missed
            ],
        );
        let s = score(&gold, &[pred]);
        let f = Figures::of(&s);
        assert_eq!((f.places, f.recognised, f.resolved, f.within_161), (4, 3, 3, 2));
        assert_eq!((f.with_id, f.with_id_recognised, f.same_id), (3, 2, 1));
        assert!((f.acc161() - 0.5).abs() < 1e-9 && (f.acc161_recognised() - 2.0 / 3.0).abs() < 1e-9);
        assert!((f.id_accuracy() - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(s[3].outcome, Outcome::Missed);
        assert_eq!(by_kind(&s)["town"].places, 3);
    }

    #[test]
    fn bad_gold_is_refused_with_its_line() {
        let e = read_gold("\n{\"id\": 1, \"text\": \"à Gao\", \"places\": [{\"start\": 2, \"end\": 4, \"text\": \"Gao\", \"kind\": \"town\", \"lat\": 1, \"lon\": 1}]}").unwrap_err();
        assert!(e.starts_with("line 2:") && e.contains("\"Ga\""), "{e}");
        let e = read_gold("{\"id\": 1, \"text\": \"Gao\", \"places\": [{\"start\": 0, \"end\": 3, \"text\": \"Gao\", \"kind\": \"town\", \"lat\": 91, \"lon\": 1}]}").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        assert!(read_gold("{\"id\": 1}").unwrap_err().contains("missing field"));
    }
}
