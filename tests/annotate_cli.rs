//! End-to-end tests of `vigie annotate` through the binary.

mod common;
use common::*;
use serde_json::Value;

fn entity_set(doc: &Value) -> Vec<(String, String)> {
    doc["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["text"].as_str().unwrap().to_string(), e["label"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn seed_article_tags_actors_places_weapons() {
    let Some(seed) = shared("seed/convoy_aguelhoc_2025-06.txt") else { return };
    let out = run(&["annotate", "--fast", "--quiet", seed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(d["id"], "convoy_aguelhoc_2025-06.txt");
    let ents = entity_set(d);
    let want = [
        ("Front de libération de l'Azawad", "ARMED_GROUP"),
        ("FLA", "ARMED_GROUP"),
        ("Africa Corps", "ARMED_GROUP"),
        ("armée malienne", "ARMED_GROUP"),
        ("Wagner", "ARMED_GROUP"),
        ("Aguelhoc", "LOCATION"),
        ("Kidal", "LOCATION"),
        ("Tinzaouatène", "LOCATION"),
        ("mines artisanales", "WEAPON"),
        ("drones", "WEAPON"),
        ("hélicoptères", "WEAPON"),
    ];
    for (t, l) in want {
        assert!(ents.iter().any(|(et, el)| et == t && el == l), "missing {t} as {l}; got {ents:?}");
    }
    // The FLA resolves to one canonical id under both names.
    let ids: Vec<&str> = d["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"] == "FLA" || e["text"] == "Front de libération de l'Azawad")
        .map(|e| e["canonical"]["id"].as_str().unwrap())
        .collect();
    assert!(ids.len() >= 2 && ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert!(d["sentences"].as_array().unwrap().len() >= 10);
}

#[test]
fn jsonl_txt_dirs_and_stdin_in_order_with_meta() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "in.jsonl", concat!(
        "{\"id\": 1, \"text\": \"Les FAMa ont quitté Kidal.\", \"title\": \"T\", \"date\": \"2025-06-13\", \"url\": \"https://x.invalid/a\", \"source\": \"rfi\", \"lang\": \"fr\", \"extra\": [1]}\n",
        "\n",
        "{\"id\": \"b\", \"text\": \"Rien à signaler.\"}\n"
    ));
    write(d, "corpus/z.txt", "Le JNIM a revendiqué l'attaque de Boni.");
    write(d, "corpus/a/b.txt", "Des drones ont frappé Gao.");
    write(d, "corpus/ignored.csv", "x");
    let out = vigie()
        .args([
            "annotate",
            "--fast",
            "--quiet",
            d.join("in.jsonl").to_str().unwrap(),
            d.join("corpus").to_str().unwrap(),
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all("{\"id\":\"s1\",\"text\":\"Un hélicoptère s'est posé.\"}\n".as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&String::from_utf8(out.stdout).unwrap());
    let ids: Vec<String> = docs.iter().map(|d| d["id"].to_string()).collect();
    assert_eq!(ids, ["1", "\"b\"", "\"a/b.txt\"", "\"z.txt\"", "\"s1\""]);
    assert_eq!(docs[0]["meta"]["title"], "T");
    assert_eq!(docs[0]["meta"]["source"], "rfi");
    assert_eq!(docs[0]["meta"]["extra"], serde_json::json!([1]));
    assert_eq!(docs[0]["lang"], "fr");
    assert!(docs[0]["meta"].get("text").is_none());
    assert_eq!(docs[0]["summary"], Value::Null);
    assert!(docs[0]["pipeline"]["models"]["ner.lexicon"]["entries"].as_u64().unwrap() > 100);
    assert!(entity_set(&docs[0]).contains(&("Kidal".into(), "LOCATION".into())));
    assert!(entity_set(&docs[4]).contains(&("hélicoptère".into(), "WEAPON".into())));
}

#[test]
fn bad_input_never_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = "a".repeat(5 * 1024 * 1024);
    let mut lines: Vec<Vec<u8>> = vec![
        br#"{"id": "ok1", "text": "L'armee malienne a repris Ber."}"#.to_vec(),
        b"{\"id\": \"bad-utf8\", \"text\": \"caf\xe9\"}".to_vec(),
        br#"{"id": "broken", "text": "#.to_vec(),
        br#"{"id": "no-text"}"#.to_vec(),
        br#"{"id": "empty", "text": "   "}"#.to_vec(),
        br#"{"id": "num", "text": 42}"#.to_vec(),
        br#"{"id": "ok1", "text": "Doublon."}"#.to_vec(),
        br#"{"id": "ctrl", "text": "Le FLA\u0000 a frapp\u00e9 \u0085Kidal\u000c."}"#.to_vec(),
        format!(r#"{{"id": "big", "text": "{big}"}}"#).into_bytes(),
        br#"{"text": "sans id"}"#.to_vec(),
        br#"[1, 2]"#.to_vec(),
        r#"{"id": "ok2", "text": "Le M23 contrôle Goma."}"#.as_bytes().to_vec(),
    ];
    let mut data = Vec::new();
    for l in lines.drain(..) {
        data.extend(l);
        data.push(b'\n');
    }
    let input = write(d, "bad.jsonl", data);
    let bad_txt = write(d, "latin1.txt", b"Le convoi a quitt\xe9 Gao.");
    let out_path = d.join("out.jsonl");
    let err_path = d.join("err.jsonl");
    let out = run(&[
        "annotate",
        "--fast",
        "--quiet",
        input.to_str().unwrap(),
        bad_txt.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        "--errors",
        err_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "some documents failed => exit 3; {}", String::from_utf8_lossy(&out.stderr));
    let docs = check_output(&std::fs::read_to_string(&out_path).unwrap());
    let ids: Vec<String> = docs.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["ok1", "ctrl", "ok2"]);
    // Control characters are replaced by same-width spaces: offsets stay those of the input.
    let ctrl = &docs[1];
    assert_eq!(ctrl["text"], "Le FLA  a frappé \u{a0}Kidal .");
    let errs = check_errors(&std::fs::read_to_string(&err_path).unwrap());
    let by_line = |line: u64| {
        errs.iter()
            .find(|e| e["line"] == line && e["input"].as_str().unwrap().ends_with("bad.jsonl"))
            .unwrap_or_else(|| panic!("no error for line {line}: {errs:?}"))
    };
    let reason = |line: u64| by_line(line)["reason"].as_str().unwrap().to_string();
    assert!(reason(2).contains("invalid UTF-8"));
    assert!(reason(3).contains("malformed JSON"));
    assert!(reason(4).contains("missing \"text\""));
    assert_eq!(by_line(4)["id"], "no-text");
    assert!(reason(5).contains("empty text"));
    assert!(reason(6).contains("must be a string"));
    assert!(reason(7).contains("duplicate id") && reason(7).contains("bad.jsonl:1"));
    assert_eq!(by_line(8)["severity"], "warning");
    assert!(reason(8).contains("control character"));
    assert!(reason(9).contains("over the limit"));
    assert!(reason(10).contains("missing \"id\""));
    assert!(reason(11).contains("expected a JSON object"));
    let latin = errs.iter().find(|e| e["input"].as_str().unwrap().ends_with("latin1.txt")).unwrap();
    assert!(latin["reason"].as_str().unwrap().contains("not valid UTF-8"));
    assert_eq!(errs.iter().filter(|e| e["severity"] == "error").count(), 10);
}

#[test]
fn many_threads_keep_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = vigie::corpus::Rng::new(3);
    let mut data = String::new();
    for i in 0..3000 {
        data.push_str(&vigie::corpus::jsonl_doc(&mut rng, i));
    }
    let input = write(dir.path(), "c.jsonl", data);
    let one = run(&["annotate", "--fast", "--quiet", "--threads", "1", input.to_str().unwrap()]);
    let many = run(&["annotate", "--fast", "--quiet", "--threads", "8", "--chunk-docs", "7", input.to_str().unwrap()]);
    assert!(one.status.success() && many.status.success());
    assert_eq!(one.stdout, many.stdout, "output must not depend on threads or batching");
    let docs = check_output(&String::from_utf8(many.stdout).unwrap());
    assert_eq!(docs.len(), 3000);
    for (i, d) in docs.iter().enumerate() {
        assert_eq!(d["id"], format!("doc-{i:08}"));
    }
}

#[test]
fn fatal_errors_and_usage() {
    let out = run(&["annotate", "--fast", "/nonexistent/input.jsonl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/input.jsonl"));
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.jsonl", "{\"id\":1,\"text\":\"x\"}\n");
    let out = run(&["annotate", "--fast", "--resume", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume needs an output file"));
    let out = run(&["annotate", "--fast", "--threads", "many", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = run(&["annotate", "--fast", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .jsonl"));
}

#[test]
fn report_on_stderr_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.jsonl", "{\"id\":1,\"text\":\"Le FLA attaque Kidal.\"}\n");
    let out = run(&["annotate", "--fast", input.to_str().unwrap(), "-o", dir.path().join("o.jsonl").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("documents in 1, annotated 1, failed 0"), "{err}");
    assert!(err.contains("ARMED_GROUP=1") && err.contains("LOCATION=1"), "{err}");
    let out = run(&[
        "annotate",
        "--fast",
        "--quiet",
        input.to_str().unwrap(),
        "-o",
        dir.path().join("o.jsonl").to_str().unwrap(),
    ]);
    assert!(out.stderr.is_empty());
}

#[test]
fn meta_keeps_the_input_field_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "a.jsonl",
        "{\"id\":1,\"text\":\"Kidal.\",\"url\":\"u\",\"date\":\"d\",\"title\":\"t\",\"source\":\"s\"}\n",
    );
    let out = run(&["annotate", "--fast", "--quiet", input.to_str().unwrap()]);
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(line.contains(r#""meta":{"url":"u","date":"d","title":"t","source":"s"}"#), "{line}");
}

/// gzip and zstd inputs (by extension, by signature, on stdin, in directories) give the same
/// output as the plain file; a corrupt one is a fatal error that names it.
#[test]
fn compressed_inputs_read_like_plain_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rng = vigie::corpus::Rng::new(3);
    let text: String = (0..40).map(|i| vigie::corpus::jsonl_doc(&mut rng, i)).collect();
    let plain = write(d, "c.jsonl", &text);
    let gz = |half: &str| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(half.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    // two gzip members, as `cat a.gz b.gz` makes
    let split = text[..text.len() / 2].rfind('\n').unwrap() + 1;
    let mut two = gz(&text[..split]);
    two.extend(gz(&text[split..]));
    write(d, "c.jsonl.gz", &two);
    write(d, "c.bin", &two);
    write(d, "sub/c.ndjson.zst", zstd::encode_all(text.as_bytes(), 3).unwrap());
    let annotate = |input: &str| {
        let o = run(&["annotate", "--fast", "--quiet", d.join(input).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{input}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let want = annotate("c.jsonl");
    assert_eq!(check_output(&want).len(), 40);
    assert_eq!(annotate("c.jsonl.gz"), want);
    assert_eq!(annotate("c.bin"), want, "sniffed by signature");
    assert_eq!(annotate("sub/c.ndjson.zst"), want);
    assert_eq!(annotate("sub"), want, "directories list compressed files");
    let mut child = vigie()
        .args(["annotate", "--fast", "--quiet", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&two).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), want, "gzip on stdin");
    // a text document compressed
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all("Le FLA a attaqué Kidal.".as_bytes()).unwrap();
    write(d, "t/a.txt.gz", e.finish().unwrap());
    let docs = check_output(&annotate("t"));
    assert_eq!((docs[0]["id"].as_str(), docs[0]["entities"].as_array().unwrap().len()), (Some("a.txt.gz"), 2));
    // truncated: a fatal error naming the file, nothing silently dropped
    write(d, "bad.jsonl.gz", &two[..two.len() / 3]);
    let o = run(&[
        "annotate",
        "--fast",
        "--quiet",
        d.join("bad.jsonl.gz").to_str().unwrap(),
        "-o",
        d.join("o.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.jsonl.gz"), "{}", String::from_utf8_lossy(&o.stderr));
    drop(plain);
}

#[test]
fn dash_output_is_stdout() {
    // `-o -` is stdout like a missing -o (as `-` is stdin for the inputs), never a file named « - »
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = write(d, "in.jsonl", "{\"id\":\"a\",\"text\":\"Le JNIM a attaqué Gao.\"}\n");
    let plain = run(&["annotate", "--fast", "--quiet", input.to_str().unwrap()]);
    let mut cmd = vigie();
    cmd.current_dir(d).args(["annotate", "--fast", "--quiet", "in.jsonl", "-o", "-"]);
    let dash = cmd.output().unwrap();
    assert_eq!(dash.status.code(), Some(0), "{}", String::from_utf8_lossy(&dash.stderr));
    assert_eq!(String::from_utf8(dash.stdout).unwrap(), String::from_utf8(plain.stdout).unwrap());
    assert!(!d.join("-").exists() && !d.join("-.vigie-state").exists(), "no file named « - »");
}

/// Process substitution and named pipes are read once, as a stream: nothing is lost to a sniff
/// that reopens the input (#18), JSONL and text alike, compressed or not.
#[test]
fn fifos_and_process_substitution_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut rng = vigie::corpus::Rng::new(5);
    let corpus: String = (0..2000).map(|i| vigie::corpus::jsonl_doc(&mut rng, i)).collect();
    let plain = write(d, "c.jsonl", &corpus);
    let want = run(&["annotate", "--fast", "--quiet", plain.to_str().unwrap()]);
    let want = String::from_utf8(want.stdout).unwrap();
    assert_eq!(want.lines().count(), 2000);
    // a named pipe without extension, fed by another process
    for (name, content) in [("pipe", corpus.clone()), ("textpipe", "Le JNIM a attaqué Gao.\n".to_string())] {
        let fifo = d.join(name);
        let st = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(st.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, content).unwrap())
        };
        let o = run(&["annotate", "--fast", "--quiet", fifo.to_str().unwrap()]);
        writer.join().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let got = String::from_utf8(o.stdout).unwrap();
        if name == "pipe" {
            assert_eq!(got, want, "every document of the FIFO, in order");
        } else {
            let recs = check_output(&got);
            assert_eq!(recs.len(), 1);
            assert_eq!(recs[0]["id"], "textpipe");
            assert_eq!(recs[0]["text"], "Le JNIM a attaqué Gao.\n");
        }
    }
    // bash process substitution, plain and gzip-compressed
    let v = env!("CARGO_BIN_EXE_vigie");
    for src in ["cat c.jsonl", "gzip -c c.jsonl"] {
        let o = std::process::Command::new("bash")
            .current_dir(d)
            .arg("-c")
            .arg(format!("{v} annotate --fast --quiet <({src})"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{src}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8(o.stdout).unwrap(), want, "{src}");
    }
}

/// No output path may be an input or another output: refused before anything is opened (#18).
#[test]
fn outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = "{\"id\":\"a\",\"text\":\"Le JNIM a attaqué Gao.\"}\n";
    let input = write(d, "in.jsonl", content);
    std::os::unix::fs::symlink(&input, d.join("link.jsonl")).unwrap();
    std::fs::hard_link(&input, d.join("hard.jsonl")).unwrap();
    let cases: [&[&str]; 6] = [
        &["-o", "in.jsonl"],
        &["-o", "link.jsonl"],
        &["-o", "hard.jsonl"],
        &["-o", "out.jsonl", "--errors", "in.jsonl"],
        &["-o", "out.jsonl", "--errors", "out.jsonl"],
        &["-o", "out.jsonl", "--html", "./in.jsonl"],
    ];
    for extra in cases {
        let mut cmd = vigie();
        cmd.current_dir(d).args(["annotate", "--fast", "--quiet", "in.jsonl"]).args(extra);
        let o = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains("refusing") && err.contains("nothing was written"), "{extra:?}: {err}");
        assert_eq!(std::fs::read_to_string(&input).unwrap(), content, "{extra:?}: the input is intact");
        let mut left: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, ["hard.jsonl", "in.jsonl", "link.jsonl"], "{extra:?}: no file written");
    }
    // export: the annotated file is never its own output
    let ann = d.join("ann.jsonl");
    let o = run(&["annotate", "--fast", "--quiet", input.to_str().unwrap(), "-o", ann.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let before = std::fs::read(&ann).unwrap();
    let o = run(&["export", "--format", "html", ann.to_str().unwrap(), "-o", ann.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("refusing"));
    assert_eq!(std::fs::read(&ann).unwrap(), before);
}
