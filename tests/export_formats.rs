//! `vigie export` (brat, CoNLL, events CSV, bad inputs) and `vigie eval ner`, through the binary.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use vigie::export::brat;

const DOCS: &str = concat!(
    "{\"id\": \"a 1\", \"text\": \"Le FLA a attaqué l'armée malienne près de Kidal avec des drones.\", \"date\": \"2025-06-13\", \"source\": \"rfi\", \"url\": \"https://x.invalid/a\"}\n",
    "{\"id\": 2, \"text\": \"À Tinzaouatène, l'Africa Corps\\net le JNIM, « selon des sources », ont utilisé des mines artisanales.\"}\n",
    "{\"id\": \"c\", \"text\": \"Rien à signaler.\"}\n",
);

/// Annotates `DOCS` plus 30 generated documents; returns the annotated JSONL path.
fn annotated(dir: &Path) -> PathBuf {
    let mut rng = vigie::corpus::Rng::new(3);
    let generated: String = (0..30).map(|i| vigie::corpus::jsonl_doc(&mut rng, i)).collect();
    let input = write(dir, "in.jsonl", format!("{DOCS}{generated}"));
    let out = dir.join("annotated.jsonl");
    let o = run(&["annotate", "--fast", "--quiet", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    out
}

fn docs(path: &Path) -> Vec<Value> {
    check_output(&std::fs::read_to_string(path).unwrap())
}

fn export(input: &Path, format: &str, out: &Path) -> std::process::Output {
    run(&["export", input.to_str().unwrap(), "--format", format, "-o", out.to_str().unwrap()])
}

fn ok(o: &std::process::Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn eval(gold: &Path, pred: &Path) -> String {
    ok(&run(&["eval", "ner", "--gold", gold.to_str().unwrap(), "--pred", pred.to_str().unwrap()]))
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("")
}

#[test]
fn brat_round_trip_gives_the_same_spans() {
    let dir = tempfile::tempdir().unwrap();
    let ann = annotated(dir.path());
    let coll = dir.path().join("brat");
    ok(&export(&ann, "brat", &coll));
    assert!(std::fs::read_to_string(coll.join("annotation.conf")).unwrap().contains("ARMED_GROUP"));
    let docs = docs(&ann);
    let mut total = 0;
    for d in &docs {
        let name = d["id"].to_string().trim_matches('"').replace(' ', "_");
        let text = std::fs::read_to_string(coll.join(format!("{name}.txt"))).unwrap();
        assert_eq!(text, d["text"].as_str().unwrap());
        let spans = brat::read_ann(&std::fs::read_to_string(coll.join(format!("{name}.ann"))).unwrap(), &text).unwrap();
        let got: Vec<(u64, u64, String)> =
            spans.iter().map(|s| (s.start as u64, s.end as u64, s.label.clone())).collect();
        let want: Vec<(u64, u64, String)> = d["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (e["start"].as_u64().unwrap(), e["end"].as_u64().unwrap(), e["label"].as_str().unwrap().to_string())
            })
            .collect();
        assert_eq!(got, want, "document {}", d["id"]);
        total += want.len();
    }
    assert!(total > 100, "too few entities to be a test: {total}");
}

#[test]
fn conll_export_of_gold_rescores_at_f1_one() {
    let dir = tempfile::tempdir().unwrap();
    let gold = annotated(dir.path());
    let conll = dir.path().join("gold.conll");
    ok(&export(&gold, "conll", &conll));
    let c = std::fs::read_to_string(&conll).unwrap();
    assert!(c.starts_with("-DOCSTART-\tO\n\nLe\tO\nFLA\tB-ARMED_GROUP\n"), "{}", &c[..80]);
    assert!(c.contains("l'\tO\narmée\tB-ARMED_GROUP\nmalienne\tI-ARMED_GROUP\n"));
    assert_eq!(last_line(&eval(&gold, &conll)), "micro F1=1.000");
    assert_eq!(last_line(&eval(&conll, &conll)), "micro F1=1.000");
}

#[test]
fn misaligned_spans_still_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    // "AQMI" inside "AQMIs", "Gao" at the start of "Gao-Nord".
    let text = "Les AQMIs ont quitté Gao-Nord.";
    let byte = |cp: usize| text.char_indices().nth(cp).map_or(text.len(), |(b, _)| b);
    let ent = |s: usize, e: usize, label: &str| {
        let (bs, be) = (byte(s), byte(e));
        serde_json::json!({"start": s, "end": e, "start_byte": bs, "end_byte": be, "text": &text[bs..be], "label": label, "score": 1.0, "source": "model"})
    };
    let doc = serde_json::json!({"id": "m", "text": text, "lang": "fr", "meta": {}, "sentences": [{"start": 0, "end": 30}],
        "entities": [ent(4, 8, "ARMED_GROUP"), ent(21, 24, "LOCATION")], "summary": null, "pipeline": {"version": "t", "models": {}}});
    let gold = write(dir.path(), "gold.jsonl", format!("{doc}\n"));
    let conll = dir.path().join("m.conll");
    ok(&export(&gold, "conll", &conll));
    assert!(std::fs::read_to_string(&conll).unwrap().contains("AQMI\tB-ARMED_GROUP\ns\tO\n"));
    assert_eq!(last_line(&eval(&gold, &conll)), "micro F1=1.000");
}

#[test]
fn eval_counts_misses_and_wrong_labels() {
    let dir = tempfile::tempdir().unwrap();
    let gold = write(dir.path(), "gold.conll", "Le O\nFLA B-ARMED_GROUP\nà O\nKidal B-LOC\net O\nGao B-LOC\n\n");
    let pred = write(
        dir.path(),
        "pred.jsonl",
        r#"{"id":1,"text":"Le FLA à Kidal et Gao","entities":[{"start":3,"end":6,"label":"ARMED_GROUP"},{"start":9,"end":14,"label":"WEAPON"}]}"#,
    );
    let out = eval(&gold, &pred);
    // tp 1 (FLA), fp 1 (Kidal as WEAPON), fn 2 (Kidal, Gao): P = 1/2, R = 1/3, F1 = 0.4.
    assert_eq!(last_line(&out), "micro F1=0.400", "{out}");
    assert!(out.lines().any(|l| l.starts_with("LOCATION") && l.contains("0.000")), "{out}");
    let other = write(dir.path(), "other.conll", "Le O\nFLA O\n");
    let o = run(&["eval", "ner", "--gold", gold.to_str().unwrap(), "--pred", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("do not hold the same text"));
}

#[test]
fn events_csv_has_candidate_rows() {
    let dir = tempfile::tempdir().unwrap();
    let ann = annotated(dir.path());
    let csv = dir.path().join("events.csv");
    ok(&export(&ann, "events-csv", &csv));
    let body = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(
        lines[0],
        "id,date,source,url,actor1,actor1_kind,actor2,actor2_kind,locations,latitude,longitude,geo_place,geo_precision,weapons,summary_en,n_entities"
    );
    assert_eq!(lines.len(), 34);
    let row = lines[1];
    assert!(row.starts_with("a 1,2025-06-13,rfi,https://x.invalid/a,Front de libération de l'Azawad,separatist,Forces armées maliennes,state,Kidal,18.44"), "{row}");
    // Kidal's coordinates (town: precision 1)
    let cells: Vec<&str> = row.split(',').collect();
    let (lat, lon): (f64, f64) = (cells[9].parse().unwrap(), cells[10].parse().unwrap());
    assert!(vigie::geo::distance_km((lat, lon), (18.44, 1.41)) < 5.0, "{row}");
    assert_eq!((cells[11], cells[12]), ("Kidal", "1"));
    assert!(lines[3].starts_with("c,,,,,,,,,,,,,,,0"), "{}", lines[3]);
}

#[test]
fn bad_inputs_give_clear_errors_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = r#"{"id":"a","text":"Le FLA.","lang":"fr","meta":{},"sentences":[],"entities":[],"summary":null,"pipeline":{"version":"0","models":{}}}"#;
    let ent = |s: usize, e: usize, t: &str| {
        good.replace(r#""entities":[]"#, &format!(r#""entities":[{{"start":{s},"end":{e},"start_byte":{s},"end_byte":{e},"text":"{t}","label":"ARMED_GROUP","score":1.0,"source":"lexicon"}}]"#))
    };
    let cases = [
        ("id,text\n1,Le FLA\n".to_string(), "line 1: not JSONL"),
        (format!("{good}\n{{\"id\":\"b\"}}\n"), "line 2: missing field \"text\""),
        (
            format!("{good}\n\n{}\n", ent(3, 99, "FLA")),
            "line 3: entity 1: offsets 3..99 out of range for a text of 7 chars",
        ),
        (format!("{}\n", ent(2, 5, "FLA")), "line 1: entity 1: entity text does not match the span"),
        (String::new(), "no documents"),
    ];
    for (i, (content, want)) in cases.iter().enumerate() {
        let input = write(dir.path(), &format!("bad{i}.jsonl"), content);
        for format in ["html", "conll", "events-csv", "brat", "geojson"] {
            let out = dir.path().join(format!("out{i}.{format}"));
            let o = export(&input, format, &out);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{format}: {stderr}");
            assert!(stderr.contains(want), "{format}: expected {want:?} in {stderr}");
            assert!(!out.exists(), "{format}: output written despite the error");
        }
    }
    let o = run(&["export", dir.path().join("absent.jsonl").to_str().unwrap(), "--format", "html", "-o", "x.html"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["annotate", "--fast", "--html", "r.html", "in.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "--html needs -o");
}
