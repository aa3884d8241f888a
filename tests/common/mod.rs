#![allow(dead_code)]
//! Helpers shared by the integration tests.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn vigie() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
}

pub fn run(args: &[&str]) -> Output {
    vigie().args(args).output().expect("running vigie")
}

pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent (shared data not available here)", p.display());
        None
    }
}

fn compile(path: &str) -> jsonschema::JSONSchema {
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap())
            .unwrap();
    let s: &'static Value = Box::leak(Box::new(s));
    jsonschema::JSONSchema::compile(s).expect("schema compiles")
}

/// Parses JSONL output, validates every line against the published schema and checks the offset
/// invariants; returns the records.
pub fn check_output(jsonl: &str) -> Vec<Value> {
    let schema = compile("schema/annotated.schema.json");
    let mut out = Vec::new();
    for (i, line) in jsonl.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: not JSON: {e}", i + 1));
        if let Err(errs) = schema.validate(&v) {
            let msgs: Vec<String> = errs.map(|e| format!("{} at {}", e, e.instance_path)).collect();
            panic!("line {} violates the schema: {msgs:?}", i + 1);
        }
        check_offsets(&v);
        out.push(v);
    }
    out
}

pub fn check_errors(jsonl: &str) -> Vec<Value> {
    let schema = compile("schema/error.schema.json");
    jsonl
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("error line is JSON");
            assert!(schema.is_valid(&v), "error line violates schema: {line}");
            v
        })
        .collect()
}

/// text[start..end] (code points) == entity.text == text[start_byte..end_byte] (bytes);
/// sentences and entities sorted, non-overlapping, in range.
pub fn check_offsets(doc: &Value) {
    let text = doc["text"].as_str().unwrap();
    let chars: Vec<char> = text.chars().collect();
    let mut last_end = 0;
    for s in doc["sentences"].as_array().unwrap() {
        let (a, b) = (s["start"].as_u64().unwrap() as usize, s["end"].as_u64().unwrap() as usize);
        assert!(a >= last_end && a < b && b <= chars.len(), "bad sentence span {a}..{b}");
        last_end = b;
    }
    let mut last_end = 0;
    for e in doc["entities"].as_array().unwrap() {
        let (a, b) = (e["start"].as_u64().unwrap() as usize, e["end"].as_u64().unwrap() as usize);
        let (ab, bb) = (e["start_byte"].as_u64().unwrap() as usize, e["end_byte"].as_u64().unwrap() as usize);
        assert!(a >= last_end && a < b && b <= chars.len(), "bad entity span {a}..{b}");
        let by_chars: String = chars[a..b].iter().collect();
        assert_eq!(by_chars, e["text"].as_str().unwrap(), "code-point offsets");
        assert_eq!(&text[ab..bb], e["text"].as_str().unwrap(), "byte offsets");
        last_end = b;
    }
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, content).unwrap();
    p
}

/// Whether fbgemm can run int8 on this CPU (AVX2 + FMA); prints why a test is skipped if not.
pub fn int8_available() -> bool {
    let path = vigie::models::cpu::int8_path();
    if path == vigie::models::cpu::Int8Path::Unsupported {
        eprintln!(
            "SKIP: int8 needs AVX2 and FMA (fbgemm); this CPU has neither: {}",
            vigie::models::cpu::summary_line()
        );
        return false;
    }
    true
}

/// Whether the full default pipeline can run here (models/ner-fr and the imported models/e5);
/// prints why a test is skipped if not.
pub fn full_pipeline_available() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ok =
        root.join("models/ner-fr/adapter.safetensors").is_file() && root.join("models/e5/model.safetensors").is_file();
    if !ok {
        eprintln!("SKIP: models/ner-fr or models/e5 absent (scripts/setup.sh imports models/e5)");
    }
    ok
}
