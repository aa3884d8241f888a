//! Writes an rpath to the libtorch that `scripts/setup.sh` assembled into every binary of this
//! package (the CLI, tests, benches), so nothing needs LD_LIBRARY_PATH at run time.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = PathBuf::from(dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
