//! `--resume` after kill -9 at random moments and after Ctrl-C gives exactly the output of an
//! uninterrupted run: no document lost, none duplicated, no torn line.

mod common;
use common::*;
use std::path::Path;
use std::time::Duration;

fn corpus(dir: &Path, n: u64) -> std::path::PathBuf {
    let mut rng = vigie::corpus::Rng::new(11);
    let mut data = String::new();
    for i in 0..n {
        data.push_str(&vigie::corpus::jsonl_doc(&mut rng, i));
        if i % 97 == 5 {
            data.push_str("{\"id\": \"broken\n"); // a bad line now and then, so errors are resumed too
        }
    }
    write(dir, "corpus.jsonl", data)
}

fn reference(input: &Path, dir: &Path) -> (Vec<u8>, Vec<u8>) {
    let out = dir.join("ref.jsonl");
    let st =
        run(&["annotate", "--fast", "--quiet", "--threads", "2", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(st.status.code(), Some(3)); // the broken lines
    (std::fs::read(&out).unwrap(), std::fs::read(dir.join("ref.jsonl.errors.jsonl")).unwrap())
}

/// Tiny deterministic PRNG for kill times.
fn lcg(s: &mut u64) -> u64 {
    *s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    *s >> 33
}

#[test]
fn resume_after_kill9_at_random_points_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 20000);
    let (want_out, want_err) = reference(&input, dir.path());
    let mut seed = 42u64;
    let mut total_kills = 0;
    for round in 0..4 {
        let out = dir.path().join(format!("r{round}.jsonl"));
        let args = |resume: bool| {
            let mut a = vec!["annotate", "--fast", "--quiet", "--threads", "1", "--chunk-docs", "13"];
            if resume {
                a.push("--resume");
            }
            a.extend([input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
            a.into_iter().map(String::from).collect::<Vec<_>>()
        };
        // Kill the first run and a few resumed runs at random moments, then let one finish.
        let mut kills = 0;
        let mut resume = false;
        loop {
            let mut child = vigie().args(args(resume)).spawn().unwrap();
            let wait_ms = 20 + lcg(&mut seed) % 400;
            std::thread::sleep(Duration::from_millis(wait_ms));
            match child.try_wait().unwrap() {
                Some(_) => break,
                None if kills < 3 => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    kills += 1;
                    resume = true;
                }
                None => {
                    let st = child.wait().unwrap();
                    assert_eq!(st.code(), Some(3));
                    break;
                }
            }
        }
        if kills > 0 {
            // One more --resume (on a completed run it is a no-op).
            let st = run(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
            assert!(matches!(st.status.code(), Some(0) | Some(3)), "{}", String::from_utf8_lossy(&st.stderr));
        }
        total_kills += kills;
        let got = std::fs::read(&out).unwrap();
        assert!(got == want_out, "round {round}: output differs from the uninterrupted run after {kills} kills");
        let got_err = std::fs::read(dir.path().join(format!("r{round}.jsonl.errors.jsonl"))).unwrap();
        assert!(got_err == want_err, "round {round}: errors file differs");
    }
    eprintln!("resume test: {total_kills} kill -9 in 4 rounds");
    assert!(total_kills >= 4, "the runs finished before being killed; the test did not test resume");
}

#[test]
fn sigint_checkpoints_then_resume_completes() {
    let dir = tempfile::tempdir().unwrap();
    let input = corpus(dir.path(), 20000);
    let (want_out, _) = reference(&input, dir.path());
    let out = dir.path().join("o.jsonl");
    let child = vigie()
        .args([
            "annotate",
            "--fast",
            "--quiet",
            "--threads",
            "1",
            "--chunk-docs",
            "50",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let st = child.wait_with_output().unwrap();
    if st.status.code() == Some(130) {
        let partial = std::fs::read(&out).unwrap();
        assert!(partial.len() < want_out.len());
        assert!(partial.is_empty() || partial.ends_with(b"\n"), "no torn line after a graceful stop");
        assert!(want_out.starts_with(&partial));
    } else {
        eprintln!("note: the run finished before SIGINT arrived (status {:?})", st.status.code());
    }
    let r = run(&[
        "annotate",
        "--fast",
        "--quiet",
        "--resume",
        "--threads",
        "2",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(3));
    assert!(std::fs::read(&out).unwrap() == want_out);
}

#[test]
fn resume_refuses_changed_inputs_and_unknown_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "a.jsonl", "{\"id\":1,\"text\":\"Le FLA attaque Kidal.\"}\n");
    let out = dir.path().join("o.jsonl");
    assert!(run(&["annotate", "--fast", "--quiet", input.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .status
        .success());
    // Completed: --resume is a no-op.
    let r = run(&["annotate", "--fast", "--resume", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&r.stderr).contains("already complete"));
    // Inputs changed: refused.
    write(dir.path(), "a.jsonl", "{\"id\":1,\"text\":\"Le FLA attaque Kidal.\"}\n{\"id\":2,\"text\":\"Gao.\"}\n");
    let r = run(&["annotate", "--fast", "--resume", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("differ"));
    // An output vigie did not write: refused rather than overwritten.
    let foreign = write(dir.path(), "foreign.jsonl", "precious\n");
    let r = run(&["annotate", "--fast", "--resume", input.to_str().unwrap(), "-o", foreign.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "precious\n");
}
