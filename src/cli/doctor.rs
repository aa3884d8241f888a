//! `vigie doctor`: checks what this installation can run.

use crate::domain::lexicon::Lexicon;
use std::process::Command;

#[derive(clap::Args, Debug)]
pub struct DoctorArgs {}

fn libtorch_check() -> Result<String, String> {
    let r = std::panic::catch_unwind(|| {
        let t = tch::Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([2, 2]);
        let p = t.matmul(&t).sum(tch::Kind::Float).double_value(&[]);
        (p, tch::get_num_threads(), tch::utils::has_mkl())
    });
    match r {
        Ok((v, threads, mkl)) if (v - 54.0).abs() < 1e-6 => {
            Ok(format!("ok (matmul check passed, {threads} threads, mkl={mkl})"))
        }
        Ok((v, _, _)) => Err(format!("wrong result {v} (expected 54)")),
        Err(_) => Err("libtorch call panicked".into()),
    }
}

fn apertium_check() -> Result<String, String> {
    let out = Command::new("apertium")
        .arg("-l")
        .output()
        .map_err(|e| format!("not installed ({e}); run scripts/setup.sh"))?;
    let modes = String::from_utf8_lossy(&out.stdout);
    let has = |m: &str| modes.lines().any(|l| l.trim() == m);
    if has("fr-es") && (has("spa-eng") || has("es-en")) {
        let fallback = if has("fra-cat") && has("cat-eng") {
            "fra-cat, cat-eng for unknown words"
        } else {
            "no fra-cat/cat-eng: unknown French words stay French (apt install apertium-fra-cat apertium-eng-cat)"
        };
        Ok(format!("ok (fr-es, spa-eng: French to English through Spanish; {fallback})"))
    } else {
        Err(format!("missing language pairs; have: {}", modes.split_whitespace().collect::<Vec<_>>().join(", ")))
    }
}

pub fn run(_a: DoctorArgs) -> anyhow::Result<i32> {
    let mut fatal = false;
    println!("vigie {}", env!("CARGO_PKG_VERSION"));
    match libtorch_check() {
        Ok(s) => println!("libtorch: {s}"),
        Err(e) => {
            fatal = true;
            println!("libtorch: FAILED: {e}")
        }
    }
    {
        use crate::models::{cpu, int8};
        println!("cpu: {} | {}", cpu::model_name(), cpu::flags().join(" "));
        let path = cpu::int8_path();
        let forced = std::env::var("FBGEMM_ENABLE_INSTRUCTIONS")
            .map(|v| format!(" (FBGEMM_ENABLE_INSTRUCTIONS={v}; hardware: {})", cpu::hardware_int8_path()))
            .unwrap_or_default();
        println!("int8: fbgemm path {path}{forced}");
        for (name, role) in [("NER encoder", int8::EncoderRole::Ner), ("summary encoder", int8::EncoderRole::Summary)] {
            match int8::Precision::Auto.resolve(role) {
                Ok(r) => println!("precision: {name}: {} ({})", r.precision, r.reason),
                Err(e) => println!("precision: {name}: {e}"),
            }
        }
    }
    match Lexicon::builtin() {
        Ok(l) => println!("lexicons: ok ({} entries, fingerprint {})", l.len(), l.fingerprint()),
        Err(e) => {
            fatal = true;
            println!("lexicons: FAILED: {e}")
        }
    }
    let gz = crate::geo::gazetteer::default_path();
    if gz.is_file() {
        match crate::geo::Gazetteer::load(&gz) {
            Ok(g) => println!("gazetteer: ok ({} GeoNames places, {})", g.len(), gz.display()),
            Err(e) => println!("gazetteer: FAILED: {e} (scripts/setup.sh imports it again)"),
        }
    } else {
        println!(
            "gazetteer: absent ({}; scripts/setup.sh imports it): only the lexicon's places get coordinates",
            gz.display()
        );
    }
    match apertium_check() {
        Ok(s) => println!("apertium: {s}"),
        Err(e) => println!("apertium: unavailable: {e}"),
    }
    Ok(if fatal { super::exit::FATAL } else { super::exit::OK })
}
