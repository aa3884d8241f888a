//! `vigie submit` / `worker` / `collect` against a real `nats-server` (Debian package
//! `nats-server`), started per test on a free loopback port with JetStream in a temporary folder.
//! Each test is skipped, with a message, when the binary is absent.
//!
//! The throughput figure (docs/s with 1 and 2 workers) is an ignored test:
//! `cargo test --release --test queue_nats -- --ignored --nocapture throughput`
//! (`VIGIE_BENCH_DOCS` sets the corpus size, default 20000).

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use vigie::corpus::{jsonl_doc, Rng};

/// The `nats-server` binary: `$VIGIE_NATS_SERVER`, else on the PATH, else Debian's /usr/sbin.
fn nats_server_binary() -> Option<PathBuf> {
    let candidates = std::env::var_os("VIGIE_NATS_SERVER")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::var_os("PATH")
                .into_iter()
                .flat_map(|p| std::env::split_paths(&p).map(|d| d.join("nats-server")).collect::<Vec<_>>()),
        )
        .chain([PathBuf::from("/usr/sbin/nats-server"), PathBuf::from("/usr/local/bin/nats-server")]);
    candidates.into_iter().find(|c| c.is_file())
}

/// A nats-server with JetStream on 127.0.0.1:<free port>, killed on drop.
struct NatsServer {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: TempDir,
}

impl NatsServer {
    fn start() -> Option<NatsServer> {
        let Some(bin) = nats_server_binary() else {
            eprintln!(
                "SKIP: nats-server is not installed (Debian: apt-get install nats-server; or set VIGIE_NATS_SERVER)"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.path().join("nats.log");
        let child = Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir.path().join("js"))
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting nats-server");
        let server = NatsServer { child, port, log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let ready = std::fs::read_to_string(&server.log).map(|s| s.contains("Server is ready")).unwrap_or(false);
            if ready && TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            assert!(
                Instant::now() < deadline,
                "nats-server did not start: {}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `vigie worker` process (stderr to a file), killed on drop if still running.
struct Worker {
    child: Child,
    stderr: PathBuf,
}

impl Worker {
    fn start(url: &str, dir: &Path, name: &str, extra: &[&str]) -> Worker {
        let stderr = dir.join(format!("{name}.stderr"));
        let child = vigie()
            .args(["worker", "--nats", url])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("starting vigie worker");
        let w = Worker { child, stderr };
        w.wait_ready();
        w
    }

    /// Waits for the "connected" line: signal handlers installed, lexicons and models loaded.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !std::fs::read_to_string(&self.stderr).unwrap_or_default().contains("connected to") {
            assert!(
                Instant::now() < deadline,
                "worker not ready: {}",
                std::fs::read_to_string(&self.stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(&self, sig: &str) {
        let st = Command::new("kill").args(["-s", sig, &self.child.id().to_string()]).status().unwrap();
        assert!(st.success(), "kill -s {sig}");
    }

    /// SIGTERM, then waits for a graceful exit; returns the final metrics line.
    fn stop(mut self) -> String {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "worker did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let err = std::fs::read_to_string(&self.stderr).unwrap();
        assert_eq!(status.code(), Some(0), "worker exit status; stderr:\n{err}");
        err.lines()
            .rev()
            .find(|l| l.contains("(exit)"))
            .unwrap_or_else(|| panic!("no final metrics line in:\n{err}"))
            .to_string()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Worker flags of the tests: one thread, fast metrics, short ack wait so a killed worker's
/// documents come back quickly.
const TEST_WORKER: [&str; 9] =
    ["--fast", "--threads", "1", "--metrics-every", "0.5", "--ack-wait", "2", "--in-flight", "8"];

/// `name=value` from a metrics line.
fn metric(line: &str, name: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name}= in {line:?}"))
}

/// Direct access to the server, independent of vigie's code.
struct Probe {
    rt: tokio::runtime::Runtime,
    js: async_nats::jetstream::Context,
}

impl Probe {
    fn new(url: &str) -> Probe {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let js =
            rt.block_on(async { async_nats::jetstream::new(async_nats::connect(url).await.expect("probe connects")) });
        Probe { js, rt }
    }

    /// Messages in a stream (0 when it does not exist yet).
    fn messages(&self, stream: &str) -> u64 {
        self.rt.block_on(async {
            match self.js.get_stream(stream).await {
                Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
                Err(_) => 0,
            }
        })
    }

    fn publish(&self, subject: &str, msg_id: &str, payload: &[u8]) {
        self.rt.block_on(async {
            let p = async_nats::jetstream::message::PublishMessage::build()
                .payload(payload.to_vec().into())
                .message_id(msg_id);
            self.js.send_publish(subject.to_string(), p).await.unwrap().await.unwrap();
        });
    }

    /// All messages of a stream: (headers as a map, payload).
    fn read_all(&self, stream: &str) -> Vec<(BTreeMap<String, String>, Vec<u8>)> {
        self.rt.block_on(async {
            let s = self.js.get_stream(stream).await.unwrap();
            let info = s.cached_info().clone();
            let mut out = Vec::new();
            for seq in info.state.first_sequence..=info.state.last_sequence {
                if let Ok(m) = s.get_raw_message(seq).await {
                    let headers = m
                        .headers
                        .iter()
                        .map(|(k, v)| {
                            (k.to_string(), v.iter().next().map(|v| v.as_str().to_string()).unwrap_or_default())
                        })
                        .collect();
                    out.push((headers, m.payload.to_vec()));
                }
            }
            out
        })
    }

    fn delete_stream(&self, stream: &str) {
        self.rt.block_on(self.js.delete_stream(stream)).expect("deleting stream");
    }

    fn consumer_exists(&self, stream: &str, consumer: &str) -> bool {
        self.rt.block_on(async {
            match self.js.get_stream(stream).await {
                Ok(s) => s.consumer_info(consumer).await.is_ok(),
                Err(_) => false,
            }
        })
    }
}

fn write_corpus(dir: &Path, n: u64, seed: u64) -> PathBuf {
    let mut rng = Rng::new(seed);
    let text: String = (0..n).map(|i| jsonl_doc(&mut rng, i)).collect();
    write(dir, "corpus.jsonl", text)
}

fn line_set(path: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(path).unwrap().lines().map(str::to_string).collect()
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "vigie {args:?}: {err}");
    err
}

/// Runs `vigie collect` with a watchdog; returns (exit code, stderr).
fn collect(url: &str, out: &Path, dead: &Path, wait: bool) -> (Option<i32>, String) {
    let mut cmd = vigie();
    cmd.args(["collect", "--nats", url, "-o"]).arg(out).arg("--dead").arg(dead);
    if wait {
        cmd.arg("--wait");
    }
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("collect did not finish in 40 s: {err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (status.code(), err)
}

#[test]
fn two_workers_one_killed_give_exactly_the_annotate_output_and_poison_is_dead_lettered() {
    let Some(nats) = NatsServer::start() else { return };
    let url = nats.url();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(11);
    let mut text: String = (0..500).map(|i| jsonl_doc(&mut rng, i)).collect();
    // Numeric ids, `lang`, and extra fields in various orders must survive the trip too.
    text.push_str(
        "{\"id\":42,\"lang\":\"fr\",\"title\":\"T\",\"text\":\"Le JNIM a attaqué Djibo.\",\"url\":\"https://x\"}\n",
    );
    text.push_str(
        "{\"url\":\"u\",\"text\":\"Des drones au-dessus de Goma.\",\"id\":\"x-2\",\"source\":\"s\",\"date\":\"d\"}\n",
    );
    text.push_str("{\"id\":\"x-3\",\"text\":\"Tirs de mortiers \\u0007 à Kidal.\",\"lang\":\"fr\"}\n");
    let corpus = write(dir.path(), "corpus.jsonl", text);
    let expected = dir.path().join("expected.jsonl");
    run_ok(&["annotate", "--fast", "-q", corpus.to_str().unwrap(), "-o", expected.to_str().unwrap()]);
    let expected = line_set(&expected);
    assert_eq!(expected.len(), 503);

    // Two workers wait for work; then the documents come.
    let probe = Probe::new(&url);
    let a = Worker::start(&url, dir.path(), "a", &TEST_WORKER);
    let b = Worker::start(&url, dir.path(), "b", &TEST_WORKER);
    let submit =
        vigie().args(["submit", corpus.to_str().unwrap(), "--nats", &url]).stderr(Stdio::piped()).spawn().unwrap();

    // Mid-run: freeze worker a with documents in hand, then SIGKILL it and start it again.
    let deadline = Instant::now() + Duration::from_secs(20);
    while probe.messages("VIGIE_RESULTS") < 30 {
        assert!(Instant::now() < deadline, "no progress: {}", std::fs::read_to_string(&a.stderr).unwrap());
        std::thread::sleep(Duration::from_millis(1));
    }
    a.signal("STOP");
    let left = probe.messages("VIGIE_DOCS");
    assert!(left > 0, "the run finished before the kill; nothing to test");
    a.signal("KILL");
    drop(a);
    let a = Worker::start(&url, dir.path(), "a2", &TEST_WORKER);
    let out = submit.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("503 read, 503 published, 0 already queued"), "{err}");

    // A re-submit is deduplicated by Nats-Msg-Id, also for documents already done and deleted
    // from the work queue.
    let err = run_ok(&["submit", corpus.to_str().unwrap(), "--nats", &url]);
    assert!(err.contains("503 read, 0 published, 503 already queued"), "{err}");

    // Poison: valid for NATS, not a valid document for the worker.
    let poison_typed = br#"{"id":"poison-1","text":42}"#;
    let poison_junk = b"\xff not json at all";
    probe.publish("vigie.docs", "poison-typed", poison_typed);
    probe.publish("vigie.docs", "poison-junk", poison_junk);

    let out = dir.path().join("out.jsonl");
    let dead = dir.path().join("dead.jsonl");
    let (code, err) = collect(&url, &out, &dead, true);
    assert_eq!(code, Some(3), "dead letters make collect exit 3: {err}");
    assert!(err.contains("503 documents written"), "{err}");
    let last_a = a.stop();
    let last_b = b.stop();
    eprintln!("worker a killed with {left} documents queued; final metrics:\n{last_a}\n{last_b}");
    let redelivered = metric(&last_a, "redelivered") + metric(&last_b, "redelivered");
    assert!(redelivered > 0, "the killed worker's documents were not redelivered: {last_a} / {last_b}");
    assert_eq!(metric(&last_a, "stuck") + metric(&last_b, "stuck"), 0);

    // Every document exactly once, equal to `vigie annotate` (order aside).
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 503, "one line per document");
    let got: BTreeSet<String> = lines.iter().map(|l| l.to_string()).collect();
    assert_eq!(got.len(), 503, "no duplicate lines");
    if let Some(diff) = got.difference(&expected).next() {
        let id = serde_json::from_str::<serde_json::Value>(diff).unwrap()["id"].clone();
        let want = expected.iter().find(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"] == id);
        panic!("collected output differs from annotate's for {id}:\n got: {diff}\nwant: {want:?}");
    }
    assert_eq!(got, expected);
    check_output(&text);

    // Collect is idempotent.
    let again = dir.path().join("again.jsonl");
    let (code, _) = collect(&url, &again, &dir.path().join("dead2.jsonl"), false);
    assert_eq!(code, Some(3));
    assert_eq!(line_set(&again), expected);

    // The poison documents are dead letters with their reason and original payload.
    let letters = probe.read_all("VIGIE_DEAD");
    assert_eq!(letters.len(), 2, "{letters:?}");
    let typed = letters.iter().find(|(_, p)| p == poison_typed).expect("typed poison dead-lettered");
    assert_eq!(typed.0.get("Vigie-Doc-Id").map(String::as_str), Some("poison-1"));
    assert!(
        typed.0["Vigie-Reason"].contains("invalid document")
            && typed.0["Vigie-Reason"].contains("\"text\" must be a string"),
        "{:?}",
        typed.0
    );
    assert_eq!(typed.0.get("Vigie-Deliveries").map(String::as_str), Some("1"));
    let junk = letters.iter().find(|(_, p)| p == poison_junk).expect("junk poison dead-lettered");
    assert!(junk.0["Vigie-Reason"].contains("invalid document"), "{:?}", junk.0);
    assert!(!junk.0.contains_key("Vigie-Doc-Id"));
    let dead_lines: Vec<serde_json::Value> = BufReader::new(std::fs::File::open(&dead).unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert_eq!(dead_lines.len(), 2);
    assert!(dead_lines
        .iter()
        .any(|d| d["id"] == "poison-1" && d["reason"].as_str().unwrap().contains("invalid document")));
    assert_eq!(metric(&last_a, "failed") + metric(&last_b, "failed"), 2);
    assert_eq!(probe.messages("VIGIE_DOCS"), 0);
}

/// The worker runs the same pipeline as `annotate`, the full one by default (model, summary,
/// English): its output equals `annotate`'s, line for line.
#[test]
fn a_worker_with_the_full_pipeline_gives_exactly_the_annotate_output() {
    if !full_pipeline_available() {
        return;
    }
    let Some(nats) = NatsServer::start() else { return };
    let url = nats.url();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(5);
    let mut text: String = (0..24).map(|i| jsonl_doc(&mut rng, i)).collect();
    text.push_str(concat!(
        "{\"id\":\"seed\",\"text\":\"Le Front de libération de l'Azawad (FLA) a tendu une embuscade ",
        "à un convoi des Forces armées maliennes (FAMa) et d'Africa Corps près d'Aguelhoc, dans la région de Kidal. ",
        "Selon l'AFP, au moins douze soldats ont été tués. Médecins sans frontières a soigné des blessés à Kidal. ",
        "Le ministère de la Défense a annoncé une enquête.\"}\n"
    ));
    let corpus = write(dir.path(), "corpus.jsonl", text);
    let expected = dir.path().join("expected.jsonl");
    run_ok(&["annotate", "-q", corpus.to_str().unwrap(), "-o", expected.to_str().unwrap()]);
    let expected = line_set(&expected);
    assert_eq!(expected.len(), 25);
    for l in &expected {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(v["summary"]["fr"].is_array(), "the default pipeline summarises: {l}");
        assert!(v["pipeline"]["models"]["ner.model"].is_object(), "the default pipeline runs the model: {l}");
    }
    let w = Worker::start(&url, dir.path(), "full", &["--threads", "2", "--metrics-every", "1", "--ack-wait", "30"]);
    run_ok(&["submit", corpus.to_str().unwrap(), "--nats", &url]);
    let out = dir.path().join("out.jsonl");
    let (code, err) = collect(&url, &out, &dir.path().join("dead.jsonl"), true);
    assert_eq!(code, Some(0), "{err}");
    let last = w.stop();
    assert_eq!(metric(&last, "processed"), 25, "{last}");
    let got = line_set(&out);
    if let Some(diff) = got.difference(&expected).next() {
        panic!("worker output differs from annotate's:\n got: {diff}\nall expected: {expected:?}");
    }
    assert_eq!(got, expected);
}

#[test]
fn transient_failures_are_retried_then_dead_lettered() {
    let Some(nats) = NatsServer::start() else { return };
    let url = nats.url();
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(
        &url,
        dir.path(),
        "w",
        &["--fast", "--threads", "1", "--max-deliver", "3", "--backoff", "0.1,0.2", "--ack-wait", "5"],
    );
    let probe = Probe::new(&url);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !probe.consumer_exists("VIGIE_DOCS", "vigie-workers") {
        assert!(Instant::now() < deadline, "worker did not start: {}", std::fs::read_to_string(&w.stderr).unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Results cannot be stored: every publish of a result fails.
    probe.delete_stream("VIGIE_RESULTS");
    let doc = br#"{"id":7,"text":"Le FLA a tendu une embuscade pr\u00e8s d'Aguelhoc."}"#;
    probe.publish("vigie.docs", "doc-7", doc);
    let deadline = Instant::now() + Duration::from_secs(15);
    while probe.messages("VIGIE_DEAD") < 1 {
        assert!(Instant::now() < deadline, "not dead-lettered: {}", std::fs::read_to_string(&w.stderr).unwrap());
        std::thread::sleep(Duration::from_millis(20));
    }
    let letters = probe.read_all("VIGIE_DEAD");
    assert_eq!(letters.len(), 1);
    let (h, payload) = &letters[0];
    assert_eq!(payload, doc);
    assert_eq!(h.get("Vigie-Doc-Id").map(String::as_str), Some("7"));
    assert_eq!(h.get("Vigie-Deliveries").map(String::as_str), Some("3"));
    assert!(
        h["Vigie-Reason"].contains("publishing the result") && h["Vigie-Reason"].contains("after 3 deliveries"),
        "{h:?}"
    );
    let last = w.stop();
    assert_eq!((metric(&last, "retried"), metric(&last, "failed"), metric(&last, "processed")), (2, 1, 0), "{last}");
    assert_eq!(probe.messages("VIGIE_DOCS"), 0, "the input is acked once dead-lettered");
}

#[test]
fn submit_rejects_invalid_records_like_annotate() {
    let Some(nats) = NatsServer::start() else { return };
    let url = nats.url();
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"id\":\"a\",\"text\":\"Le FLA \\u0007 à Kidal.\"}\n{\"id\":\"b\"}\nnot json\n{\"id\":\"a\",\"text\":\"again\"}\n",
    );
    let errors = dir.path().join("errors.jsonl");
    let out = run(&["submit", input.to_str().unwrap(), "--nats", &url, "--errors", errors.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("4 read, 1 published, 0 already queued (duplicates), 3 rejected, 0 failed, 1 changed"),
        "{err}"
    );
    let recs = check_errors(&std::fs::read_to_string(&errors).unwrap());
    let severities: Vec<&str> = recs.iter().map(|r| r["severity"].as_str().unwrap()).collect();
    assert_eq!(severities.iter().filter(|s| **s == "error").count(), 3, "{recs:?}");
    assert_eq!(severities.iter().filter(|s| **s == "warning").count(), 1, "{recs:?}");
    let probe = Probe::new(&url);
    let docs = probe.read_all("VIGIE_DOCS");
    assert_eq!(docs.len(), 1);
    // Published cleaned (control character replaced), as annotate would annotate it.
    let v: serde_json::Value = serde_json::from_slice(&docs[0].1).unwrap();
    assert_eq!(v["text"], "Le FLA   à Kidal.");
    assert_eq!(docs[0].0.get("Nats-Msg-Id").map(String::as_str).map(str::len), Some(64));
}

/// Throughput: docs/s through NATS with 1 and 2 single-threaded workers (and `annotate` for
/// reference), from the moment the workers start until the queue is empty and every result stored.
#[test]
#[ignore]
fn throughput() {
    let n: u64 = std::env::var("VIGIE_BENCH_DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let corpus = write_corpus(dir.path(), n, 5);
    for j in ["1", "2"] {
        let t = Instant::now();
        run_ok(&[
            "annotate",
            "--fast",
            "-q",
            "-j",
            j,
            corpus.to_str().unwrap(),
            "-o",
            dir.path().join("a.jsonl").to_str().unwrap(),
        ]);
        println!(
            "annotate -j {j}: {n} docs in {:.2}s = {:.0} docs/s",
            t.elapsed().as_secs_f64(),
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
    for (workers, threads) in [(1, "1"), (2, "1"), (1, "2")] {
        let Some(nats) = NatsServer::start() else { return };
        let url = nats.url();
        run_ok(&["submit", "-q", corpus.to_str().unwrap(), "--nats", &url]);
        let probe = Probe::new(&url);
        let t = Instant::now();
        let ws: Vec<Worker> = (0..workers)
            .map(|i| {
                Worker::start(
                    &url,
                    dir.path(),
                    &format!("bench{i}"),
                    &["--fast", "--threads", threads, "--metrics-every", "60"],
                )
            })
            .collect();
        while probe.messages("VIGIE_RESULTS") < n || probe.messages("VIGIE_DOCS") > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let secs = t.elapsed().as_secs_f64();
        println!("{workers} worker(s) × {threads} thread(s): {n} docs in {secs:.2}s = {:.0} docs/s", n as f64 / secs);
        for w in ws {
            w.stop();
        }
    }
}
