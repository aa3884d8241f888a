//! `--shard I/N`: the union of the N shard outputs equals the single-run output.

mod common;
use common::*;
use std::collections::BTreeSet;

#[test]
fn union_of_shards_equals_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = vigie::corpus::Rng::new(5);
    let mut data = String::new();
    for i in 0..1500 {
        data.push_str(&vigie::corpus::jsonl_doc(&mut rng, i));
        if i % 200 == 3 {
            data.push_str("not json\n{\"id\": \"doc-00000001\", \"text\": \"doublon\"}\n");
        }
    }
    let input = write(dir.path(), "c.jsonl", data);
    let single = dir.path().join("single.jsonl");
    assert_eq!(
        run(&["annotate", "--fast", "--quiet", input.to_str().unwrap(), "-o", single.to_str().unwrap()]).status.code(),
        Some(3)
    );
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().map(String::from).collect::<Vec<_>>();
    let (mut out_union, mut err_union) = (Vec::new(), Vec::new());
    let n = 3;
    for i in 0..n {
        let o = dir.path().join(format!("s{i}.jsonl"));
        let shard = format!("{i}/{n}");
        let st = run(&[
            "annotate",
            "--fast",
            "--quiet",
            "--shard",
            &shard,
            input.to_str().unwrap(),
            "-o",
            o.to_str().unwrap(),
        ]);
        assert!(matches!(st.status.code(), Some(0) | Some(3)));
        let part = lines(&o);
        assert!(part.len() > 300, "shard {i} holds {} documents: the hash should spread them", part.len());
        out_union.extend(part);
        err_union.extend(lines(&dir.path().join(format!("s{i}.jsonl.errors.jsonl"))));
    }
    let want = lines(&single);
    assert_eq!(out_union.len(), want.len(), "every document in exactly one shard");
    assert_eq!(out_union.iter().collect::<BTreeSet<_>>(), want.iter().collect::<BTreeSet<_>>());
    let want_err = lines(&dir.path().join("single.jsonl.errors.jsonl"));
    assert_eq!(err_union.len(), want_err.len());
    assert_eq!(err_union.iter().collect::<BTreeSet<_>>(), want_err.iter().collect::<BTreeSet<_>>());
}

#[test]
fn bad_shard_specs_are_usage_errors() {
    for bad in ["3/3", "1", "a/2", "0/0"] {
        let out = run(&["annotate", "--fast", "--shard", bad, "x.jsonl"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}
