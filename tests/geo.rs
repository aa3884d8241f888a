//! Geocoding: `entities[].geo`, the gold sets, `vigie eval geo`, the GeoJSON export and
//! `vigie models import-geonames`, through the binary.

mod common;
use common::*;
use serde_json::Value;
use std::path::PathBuf;
use vigie::eval::geo::{read_gold, Figures};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The gazetteer made by setup, or `None` (with the reason printed).
fn gazetteer() -> Option<PathBuf> {
    let p = root().join("models/geo/gazetteer.tsv");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent (scripts/setup.sh imports it)", p.display());
        None
    }
}

fn ok(o: &std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn gold_sets_are_well_formed() {
    for (name, min) in [("geo_dev.jsonl", 150), ("geo_gold.jsonl", 200)] {
        let text = std::fs::read_to_string(root().join("tests/data").join(name)).unwrap();
        let docs = read_gold(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let places: usize = docs.iter().map(|d| d.places.len()).sum();
        assert!(places >= min, "{name}: {places} places");
        let kinds: std::collections::BTreeSet<&str> =
            docs.iter().flat_map(|d| &d.places).map(|p| p.kind.as_str()).collect();
        for k in ["town", "region", "country"] {
            assert!(kinds.contains(k), "{name}: no {k}");
        }
        for d in &docs {
            // places in order, not overlapping
            for w in d.places.windows(2) {
                assert!(w[0].end <= w[1].start, "{name} {}: places overlap or are unsorted", d.id);
            }
        }
    }
}

/// Figures of `vigie eval geo` read back from its output line.
fn figures(out: &str) -> (f64, f64) {
    let line = out.lines().find(|l| l.starts_with("recognised")).expect("figures line");
    let num = |after: &str| -> f64 {
        let i = line.find(after).unwrap_or_else(|| panic!("{after} in {line}")) + after.len();
        line[i..].trim_start().split_whitespace().next().unwrap().parse().unwrap()
    };
    (num("accuracy@161km"), num("GeoNames id"))
}

#[test]
fn dev_set_geocoding_meets_the_targets() {
    if gazetteer().is_none() {
        return;
    }
    let gold = root().join("tests/data/geo_dev.jsonl");
    // the geocoder alone, on the gold spans
    let out = ok(&run(&["eval", "geo", "--fast", "--gold-spans", "--gold", gold.to_str().unwrap()]));
    println!("{out}");
    let (acc, id) = figures(&out);
    assert!(acc >= 0.95 && id >= 0.95, "dev, gold spans: accuracy@161km {acc}, GeoNames id {id}");
}

#[test]
fn annotate_gives_places_coordinates_and_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.jsonl",
        concat!(
            "{\"id\": \"bf\", \"date\": \"2025-03-02\", \"text\": \"Au Burkina Faso, le JNIM a attaqué Djibo puis Gao, dans la province du Sanguié.\"}\n",
            "{\"id\": \"ml\", \"text\": \"Le FLA affirme avoir repris Anéfis, dans la région de Kidal, au nord du Mali. Gao reste sous contrôle de l'armée.\"}\n",
            "{\"id\": \"x\", \"text\": \"Rien à signaler.\"}\n",
        ),
    );
    let out = dir.path().join("out.jsonl");
    ok(&run(&["annotate", "--fast", "--quiet", input.to_str().unwrap(), "-o", out.to_str().unwrap()]));
    let recs = check_output(&std::fs::read_to_string(&out).unwrap());
    let place = |r: &Value, text: &str| -> Value {
        r["entities"].as_array().unwrap().iter().find(|e| e["text"] == text).unwrap_or_else(|| panic!("{text} in {r}"))
            ["geo"]
            .clone()
    };
    // every LOCATION has a geo field; other labels none
    for r in &recs {
        for e in r["entities"].as_array().unwrap() {
            assert_eq!(e.get("geo").is_some(), e["label"] == "LOCATION", "{e}");
        }
    }
    let gao_ml = place(&recs[1], "Gao");
    assert_eq!(gao_ml["country"], "ML", "{gao_ml}");
    let kidal = place(&recs[1], "Kidal");
    assert_eq!(kidal["kind"], "region");
    assert_eq!(kidal["geonameid"], Value::Null, "a region is not the town's GeoNames feature");
    assert_eq!(place(&recs[1], "Mali")["kind"], "country");
    if gazetteer().is_some() {
        // the Burkinabè Gao, next to « Burkina Faso » and Djibo
        let gao_bf = place(&recs[0], "Gao");
        assert_eq!((gao_bf["country"].as_str(), gao_bf["geonameid"].as_u64()), (Some("BF"), Some(2360626)), "{gao_bf}");
    }
    // --no-geo: no geo field at all
    let o = run(&["annotate", "--fast", "--quiet", "--no-geo", input.to_str().unwrap()]);
    assert!(!ok(&o).contains("\"geo\""));

    // GeoJSON (RFC 7946): a FeatureCollection of Points [lon, lat], one per place per document
    let gj = dir.path().join("places.geojson");
    ok(&run(&["export", out.to_str().unwrap(), "--format", "geojson", "-o", gj.to_str().unwrap()]));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&gj).unwrap()).unwrap();
    check_geojson(&v);
    let feats = v["features"].as_array().unwrap();
    let resolved: usize = recs
        .iter()
        .map(|r| {
            let mut keys: Vec<String> = r["entities"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["geo"].is_object())
                .map(|e| format!("{}|{}|{}", e["geo"]["name"], e["geo"]["lat"], e["geo"]["lon"]))
                .collect();
            keys.sort();
            keys.dedup();
            keys.len()
        })
        .sum();
    assert_eq!(feats.len(), resolved);
    let kidal_f = feats.iter().find(|f| f["properties"]["text"] == "Kidal").unwrap();
    assert_eq!(kidal_f["properties"]["doc_id"], "ml");
    assert_eq!(kidal_f["properties"]["actors"], serde_json::json!(["Front de libération de l'Azawad"]));
    let c = kidal_f["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!((c[0].as_f64(), c[1].as_f64()), (kidal["lon"].as_f64(), kidal["lat"].as_f64()), "[lon, lat] order");
    let gao = feats.iter().find(|f| f["properties"]["doc_id"] == "ml" && f["properties"]["text"] == "Gao").unwrap();
    assert_eq!(gao["properties"]["mentions"], 1);
    assert_eq!(
        feats.iter().filter(|f| f["properties"]["doc_id"] == "bf").next().unwrap()["properties"]["date"],
        "2025-03-02"
    );
}

/// The parts of RFC 7946 a consumer relies on.
fn check_geojson(v: &Value) {
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none(), "RFC 7946 has no crs member");
    for f in v["features"].as_array().expect("features array") {
        assert_eq!(f["type"], "Feature", "{f}");
        assert!(f["properties"].is_object(), "{f}");
        assert_eq!(f["geometry"]["type"], "Point", "{f}");
        let c = f["geometry"]["coordinates"].as_array().expect("coordinates");
        assert_eq!(c.len(), 2, "{f}");
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat), "{f}");
    }
}

#[test]
fn eval_geo_and_import_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.jsonl", "{\"id\": 1, \"text\": \"à Gao\", \"places\": [{\"start\": 2, \"end\": 4, \"text\": \"Gao\", \"kind\": \"town\", \"lat\": 1, \"lon\": 1}]}\n");
    let o = run(&["eval", "geo", "--fast", "--gold", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 1: text[2..4] is \"Ga\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let notwheel = write(dir.path(), "x.whl", "not a zip");
    let out = dir.path().join("g.tsv");
    let o = run(&["models", "import-geonames", notwheel.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("not GeoNames cities JSON"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
    let o = run(&["annotate", "--fast", "--gazetteer", out.to_str().unwrap(), "-"]);
    assert_eq!(o.status.code(), Some(1), "a gazetteer named but absent is an error");
}

#[test]
fn figures_of_a_perfect_prediction_are_one() {
    // scoring sanity on the dev gold itself: predicted = gold coordinates
    let text = std::fs::read_to_string(root().join("tests/data/geo_dev.jsonl")).unwrap();
    let gold = read_gold(&text).unwrap();
    let recs: Vec<vigie::doc::Annotated> = gold
        .iter()
        .map(|g| {
            let ents = g
                .places
                .iter()
                .map(|p| {
                    let sb = vigie::text::offsets::byte_offset(&g.text, p.start);
                    let eb = vigie::text::offsets::byte_offset(&g.text, p.end);
                    vigie::doc::Entity {
                        start: p.start,
                        end: p.end,
                        start_byte: sb,
                        end_byte: eb,
                        text: p.text.clone(),
                        label: vigie::doc::Label::Location,
                        score: 1.0,
                        source: vigie::doc::Source::Lexicon,
                        canonical: None,
                        geo: Some(Some(vigie::doc::Geo {
                            geonameid: p.geonameid,
                            name: p.text.clone(),
                            lat: p.lat,
                            lon: p.lon,
                            country: None,
                            kind: vigie::doc::PlaceKind::Town,
                            score: 1.0,
                        })),
                    }
                })
                .collect();
            vigie::doc::Annotated {
                id: vigie::doc::DocId::Str(String::new()),
                text: g.text.clone(),
                lang: "fr".into(),
                meta: Default::default(),
                sentences: vec![],
                entities: ents,
                summary: None,
                pipeline: vigie::doc::PipelineInfo { version: String::new(), models: Default::default() },
            }
        })
        .collect();
    let f = Figures::of(&vigie::eval::geo::score(&gold, &recs));
    assert_eq!((f.acc161(), f.id_accuracy(), f.mean_km), (1.0, 1.0, 0.0));
}
