//! What this CPU offers the encoders: its model name, the SIMD flags that choose libtorch's and
//! fbgemm's kernels, and which int8 GEMM path fbgemm will take.
//!
//! fbgemm (libtorch's int8 GEMM) picks its kernel at run time from the CPU:
//!
//! | path | CPUs | inner product |
//! |---|---|---|
//! | `avx512_vnni` | AVX-512 with VNNI (Cascade Lake and later, Zen 4) | `vpdpbusd`: u8·i8 summed in int32 |
//! | `avx512` | AVX-512 without VNNI (Skylake-SP) | `vpmaddubsw` (pairs summed in **saturating int16**) |
//! | `avx2` | AVX2 + FMA, no AVX-512 | `vpmaddubsw`, as above |
//! | none | no AVX2 | fbgemm refuses to run: int8 is unavailable |
//!
//! The environment variable `FBGEMM_ENABLE_INSTRUCTIONS` (`AVX2`, `AVX512`, `AVX512_E1`, …)
//! forces a lower path on a CPU that has a higher one; [`int8_path`] follows it, so the choice
//! of [`super::int8::Precision::Auto`] matches the kernels libtorch will really run.

use std::fmt;

/// fbgemm's int8 GEMM path on this machine (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Int8Path {
    /// fbgemm needs AVX2 and FMA: int8 cannot run.
    Unsupported,
    Avx2,
    Avx512,
    Avx512Vnni,
}

impl Int8Path {
    pub fn as_str(&self) -> &'static str {
        match self {
            Int8Path::Unsupported => "none",
            Int8Path::Avx2 => "avx2",
            Int8Path::Avx512 => "avx512",
            Int8Path::Avx512Vnni => "avx512_vnni",
        }
    }
}

impl fmt::Display for Int8Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SIMD features that matter to libtorch, MKL and fbgemm, in the order `vigie doctor`
/// prints them.
pub const FLAGS: [&str; 9] =
    ["sse4.2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512vnni"];

/// Whether the running CPU has `flag` (one of [`FLAGS`]).
pub fn has(flag: &str) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        match flag {
            "sse4.2" => std::arch::is_x86_feature_detected!("sse4.2"),
            "avx" => std::arch::is_x86_feature_detected!("avx"),
            "fma" => std::arch::is_x86_feature_detected!("fma"),
            "avx2" => std::arch::is_x86_feature_detected!("avx2"),
            "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
            "avx512bw" => std::arch::is_x86_feature_detected!("avx512bw"),
            "avx512vl" => std::arch::is_x86_feature_detected!("avx512vl"),
            "avx512dq" => std::arch::is_x86_feature_detected!("avx512dq"),
            "avx512vnni" => std::arch::is_x86_feature_detected!("avx512vnni"),
            _ => false,
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = flag;
        false
    }
}

/// The CPU's flags among [`FLAGS`] that it has.
pub fn flags() -> Vec<&'static str> {
    FLAGS.iter().copied().filter(|f| has(f)).collect()
}

/// The CPU's model name (`/proc/cpuinfo`), or "unknown".
pub fn model_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The path the hardware offers, before any environment override.
pub fn hardware_int8_path() -> Int8Path {
    let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].iter().all(|f| has(f));
    if !(has("avx2") && has("fma")) {
        Int8Path::Unsupported
    } else if avx512 && has("avx512vnni") {
        Int8Path::Avx512Vnni
    } else if avx512 {
        Int8Path::Avx512
    } else {
        Int8Path::Avx2
    }
}

/// The path fbgemm will take: the hardware's, lowered by `FBGEMM_ENABLE_INSTRUCTIONS` when it
/// names a path the CPU supports (as fbgemm itself does; an unknown value is ignored).
pub fn int8_path() -> Int8Path {
    path_with_override(hardware_int8_path(), std::env::var("FBGEMM_ENABLE_INSTRUCTIONS").ok().as_deref())
}

fn path_with_override(hw: Int8Path, forced: Option<&str>) -> Int8Path {
    let wanted = match forced.map(|s| s.trim().to_ascii_uppercase()) {
        Some(s) if s == "AVX2" => Int8Path::Avx2,
        Some(s) if s == "AVX512" || s == "AVX512_256" => Int8Path::Avx512,
        Some(s) if s == "AVX512_E1" || s == "AVX512_E1_256" => Int8Path::Avx512Vnni,
        _ => return hw,
    };
    let rank = |p: Int8Path| p as u8;
    if hw == Int8Path::Unsupported || rank(wanted) > rank(hw) {
        hw
    } else {
        wanted
    }
}

/// One line for reports: `Intel(R) Xeon(R) … | avx2 fma avx512f … | int8 path avx512_vnni`.
pub fn summary_line() -> String {
    format!("{} | {} | fbgemm int8 path {}", model_name(), flags().join(" "), int8_path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_only_lowers() {
        use Int8Path::*;
        assert_eq!(path_with_override(Avx512Vnni, Some("AVX2")), Avx2);
        assert_eq!(path_with_override(Avx512Vnni, Some("avx512")), Avx512);
        assert_eq!(path_with_override(Avx512Vnni, Some("AVX512_E1_256")), Avx512Vnni);
        assert_eq!(path_with_override(Avx2, Some("AVX512_E1")), Avx2);
        assert_eq!(path_with_override(Avx2, Some("nonsense")), Avx2);
        assert_eq!(path_with_override(Unsupported, Some("AVX2")), Unsupported);
        assert_eq!(path_with_override(Avx512, None), Avx512);
    }

    #[test]
    fn flags_are_consistent() {
        let f = flags();
        // AVX-512 VNNI implies the AVX-512 foundation, which implies AVX2 on every x86 CPU
        if f.contains(&"avx512vnni") {
            assert!(f.contains(&"avx512f"));
        }
        if f.contains(&"avx512f") {
            assert!(f.contains(&"avx2"));
        }
        assert!(!model_name().is_empty());
        assert!(summary_line().contains("int8 path"));
    }
}
