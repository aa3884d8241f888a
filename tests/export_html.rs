//! The HTML report in a real browser: headless Chromium loads it, the page's `#selftest` mode
//! reports what it rendered, and a screenshot is kept under target/test-artefacts/.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_present() -> bool {
    let ok = Path::new(CHROMIUM).exists();
    if !ok {
        eprintln!("SKIP: {CHROMIUM} is absent (apt-get install chromium)");
    }
    ok
}

fn chromium(profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .args([
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("running chromium")
}

fn artefacts() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("test-artefacts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&")
}

/// Loads the report with `#selftest`; returns the page's self-test JSON and the dumped DOM.
fn selftest(report: &Path, tmp: &Path) -> (Value, String) {
    let url = format!("file://{}#selftest", report.display());
    let out = chromium(&tmp.join("profile-dom"), &["--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    let start = dom.find("<pre id=\"selftest\" hidden=\"\">").map(|i| i + "<pre id=\"selftest\" hidden=\"\">".len());
    let start = start.unwrap_or_else(|| panic!("no self-test output; chromium stderr: {stderr}"));
    let end = start + dom[start..].find("</pre>").unwrap();
    let v: Value = serde_json::from_str(&unescape(&dom[start..end])).expect("self-test JSON");
    assert_eq!(v["errors"], serde_json::json!([]), "page errors");
    (v, dom)
}

fn screenshot(report: &Path, tmp: &Path, name: &str) {
    let png = artefacts().join(name);
    let _ = std::fs::remove_file(&png);
    let url = format!("file://{}", report.display());
    let shot = format!("--screenshot={}", png.display());
    chromium(&tmp.join("profile-shot"), &[&shot, "--window-size=1280,2000", &url]);
    let size = std::fs::metadata(&png).map(|m| m.len()).unwrap_or(0);
    assert!(size > 20_000, "screenshot {} missing or blank ({size} bytes)", png.display());
}

/// No external resource: no URL outside the embedded document data.
fn assert_offline(html: &str) {
    let data_start = html.find("<script type=\"application/json\"").unwrap();
    let data_end = data_start + html[data_start..].find("</script>").unwrap();
    for part in [&html[..data_start], &html[data_end..]] {
        assert!(!part.contains("http://") && !part.contains("https://"), "external URL in the report");
    }
}

fn annotate_with_report(input: &Path, dir: &Path) -> PathBuf {
    let (out, report) = (dir.join("out.jsonl"), dir.join("report.html"));
    let o = run(&[
        "annotate",
        "--fast",
        "--quiet",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--html",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    report
}

/// The map has outlines and at least `min_dots` dots, and a click on the biggest dot keeps
/// exactly the documents that name that place.
fn assert_map(v: &Value, min_dots: u64) {
    let m = &v["map"];
    assert!(m["outlines"].as_u64().unwrap_or(0) > 50, "outlines: {m}");
    assert!(m["dots"].as_u64().unwrap_or(0) >= min_dots, "dots: {m}");
    let click = &m["click"];
    let hits = click["hits"].as_u64().unwrap();
    assert!(hits > 0 && click["hits"] == click["expected"], "click on a dot: {click}");
    assert_eq!(click["shown"].as_u64().unwrap(), hits.min(50));
}

fn marks(v: &Value, label: &str) -> u64 {
    v["marks"][label].as_u64().unwrap_or(0)
}

#[test]
fn seed_article_report_in_chromium() {
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    if !chromium_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = annotate_with_report(&seed, dir.path());
    let html = std::fs::read_to_string(&report).unwrap();
    assert_offline(&html);
    let (v, _) = selftest(&report, dir.path());
    assert_eq!((v["docs"].as_u64(), v["shown"].as_u64()), (Some(1), Some(1)));
    for l in ["ARMED_GROUP", "LOCATION", "WEAPON"] {
        assert!(marks(&v, l) > 0, "no {l} highlight: {v}");
    }
    let first = v["first"].as_array().unwrap();
    let fla = first.iter().find(|m| m[0] == "FLA").expect("FLA highlighted");
    assert_eq!(fla[1], "ARMED_GROUP");
    let tip = fla[2].as_str().unwrap();
    assert!(
        tip.contains("Front de libération de l'Azawad") && tip.contains("separatist") && tip.contains("score 1.00"),
        "{tip}"
    );
    assert!(first.iter().any(|m| m[0] == "Aguelhoc" && m[1] == "LOCATION"));
    assert!(first.iter().any(|m| m[0] == "drones" && m[1] == "WEAPON"));
    assert_eq!(v["search"]["hits"], 1);
    assert_map(&v, 4);
    assert!(html.contains("<title>Mali</title>"), "Mali's outline on the map");
    screenshot(&report, dir.path(), "report-seed.png");
}

#[test]
fn thousand_document_report_in_chromium() {
    if !chromium_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut rng = vigie::corpus::Rng::new(7);
    let corpus: String = (0..1000).map(|i| vigie::corpus::jsonl_doc(&mut rng, i)).collect();
    let input = write(dir.path(), "corpus.jsonl", corpus);
    let report = annotate_with_report(&input, dir.path());
    let html = std::fs::read_to_string(&report).unwrap();
    assert_offline(&html);
    assert!(html.contains("<title>vigie report: 1000 documents</title>"));
    let (v, dom) = selftest(&report, dir.path());
    assert_eq!((v["docs"].as_u64(), v["shown"].as_u64()), (Some(1000), Some(50)), "one page of 50 rendered");
    for l in ["ARMED_GROUP", "LOCATION", "WEAPON"] {
        assert!(marks(&v, l) >= 50, "too few {l} highlights: {v}");
    }
    let hits = v["search"]["hits"].as_u64().unwrap();
    assert!(hits > 0 && hits < 1000, "search for {} found {hits}", v["search"]["q"]);
    assert!(dom.contains("page 1 / 20 (1000 of 1000 documents)"));
    assert_map(&v, 20);
    screenshot(&report, dir.path(), "report-1000.png");
}

#[test]
fn markup_in_documents_is_shown_as_text() {
    if !chromium_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> Le FLA à Kidal.";
    let fla = text.find("FLA").unwrap();
    let fla_cp = text[..fla].chars().count();
    let doc = serde_json::json!({
        "id": "x</script>", "text": text, "lang": "fr", "meta": {"title": "<b>titre</b>", "url": "javascript:alert(1)"},
        "sentences": [], "summary": {"fr": [{"start": fla_cp - 3, "end": fla_cp + 11}], "en": "The FLA in Kidal.", "en_brief": "FLA in Kidal", "translator": "test"},
        "entities": [{"start": fla_cp, "end": fla_cp + 3, "start_byte": fla, "end_byte": fla + 3, "text": "FLA", "label": "ARMED_GROUP", "score": 0.5, "source": "model"}],
        "pipeline": {"version": "t", "models": {}}
    });
    let input = write(dir.path(), "x.jsonl", format!("{doc}\n"));
    let report = dir.path().join("r.html");
    let o = run(&["export", input.to_str().unwrap(), "--format", "html", "-o", report.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("<script>document") && !html.contains("<img") && !html.contains("<b>titre"),
        "unescaped markup"
    );
    let (v, dom) = selftest(&report, dir.path());
    assert_eq!(v["summaries"], 1);
    assert!(dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"), "text shown escaped");
    assert!(dom.contains("<title>vigie report: 1 documents</title>"), "title unchanged");
    assert!(!dom.contains("href=\"javascript"), "only http(s) links");
    assert!(dom.contains("The FLA in Kidal.") && dom.contains("<strong>FLA in Kidal</strong>"));
}
