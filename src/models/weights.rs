//! Loading a safetensors file into existing tch variables one tensor at a time, optionally
//! keeping only some rows of one tensor (the pruned embedding table). `VarStore::load_partial`
//! reads the whole file into memory first, which doubles the peak memory of a model load.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use tch::Tensor;

/// Why weights could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {msg}")]
    Invalid { path: PathBuf, msg: String },
    #[error("{path}: {name}: {source}")]
    Torch { path: PathBuf, name: String, source: tch::TchError },
}

#[derive(Debug, Clone)]
struct Entry {
    shape: Vec<usize>,
    start: u64,
}

/// An open safetensors file (F32 tensors) whose data is read on demand.
#[derive(Debug)]
pub struct SafetensorsFile {
    path: PathBuf,
    file: File,
    entries: HashMap<String, Entry>,
}

/// Most floats read into memory at once (16 MB).
const CHUNK: usize = 4 << 20;

/// Most header bytes accepted (the format's own limit is 100 MB).
const MAX_HEADER: u64 = 100 << 20;

impl SafetensorsFile {
    pub fn open(path: &Path) -> Result<SafetensorsFile, WeightsError> {
        let io = |source| WeightsError::Io { path: path.to_path_buf(), source };
        let bad = |msg: String| WeightsError::Invalid { path: path.to_path_buf(), msg };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let mut n = [0u8; 8];
        file.read_exact_at(&mut n, 0).map_err(io)?;
        let n = u64::from_le_bytes(n);
        if n > MAX_HEADER || 8 + n > size {
            return Err(bad(format!("header of {n} bytes in a file of {size}")));
        }
        let mut header = vec![0u8; n as usize];
        file.read_exact_at(&mut header, 8).map_err(io)?;
        let v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&header).map_err(|e| bad(format!("header is not JSON: {e}")))?;
        let mut entries = HashMap::new();
        for (name, t) in v {
            if name == "__metadata__" {
                continue;
            }
            let dtype = t["dtype"].as_str().unwrap_or_default();
            if dtype != "F32" {
                return Err(bad(format!("{name}: dtype {dtype:?}, only F32 is read")));
            }
            let shape: Vec<usize> = t["shape"]
                .as_array()
                .ok_or_else(|| bad(format!("{name}: no shape")))?
                .iter()
                .map(|d| d.as_u64().map(|d| d as usize))
                .collect::<Option<_>>()
                .ok_or_else(|| bad(format!("{name}: bad shape")))?;
            let off = t["data_offsets"].as_array().ok_or_else(|| bad(format!("{name}: no data_offsets")))?;
            let (a, b) = match (off.first().and_then(|x| x.as_u64()), off.get(1).and_then(|x| x.as_u64())) {
                (Some(a), Some(b)) if a <= b => (a + 8 + n, b + 8 + n),
                _ => return Err(bad(format!("{name}: bad data_offsets"))),
            };
            let count: usize = shape.iter().product();
            if b > size || (b - a) as usize != count * 4 {
                return Err(bad(format!("{name}: {} bytes for shape {shape:?}, or past the end", b - a)));
            }
            entries.insert(name, Entry { shape, start: a });
        }
        Ok(SafetensorsFile { path: path.to_path_buf(), file, entries })
    }

    /// Shape of a tensor in the file.
    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.entries.get(name).map(|e| e.shape.as_slice())
    }

    fn read_f32(&self, at: u64, count: usize) -> Result<Vec<f32>, WeightsError> {
        let mut bytes = vec![0u8; count * 4];
        self.file
            .read_exact_at(&mut bytes, at)
            .map_err(|source| WeightsError::Io { path: self.path.clone(), source })?;
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Copies every variable found in the file into `vars` (shapes must match; for the variable
    /// named in `rows`, only those rows of the file's tensor, in order). Returns the names of the
    /// variables the file does not have.
    pub fn load_into(
        &self,
        vars: &HashMap<String, Tensor>,
        rows: Option<(&str, &[u32])>,
    ) -> Result<Vec<String>, WeightsError> {
        let mut missing = Vec::new();
        for (name, var) in vars {
            let Some(e) = self.entries.get(name) else {
                missing.push(name.clone());
                continue;
            };
            let want: Vec<usize> = var.size().iter().map(|&d| d as usize).collect();
            let bad = |msg: String| WeightsError::Invalid { path: self.path.clone(), msg };
            let torch = |source| WeightsError::Torch { path: self.path.clone(), name: name.clone(), source };
            // (first row in the file, rows) runs, copied into consecutive rows of the variable
            let runs: Vec<(usize, usize)> = match rows {
                Some((r, ids)) if r == name => {
                    if e.shape.len() < 2
                        || want.len() != e.shape.len()
                        || want[0] != ids.len()
                        || want[1..] != e.shape[1..]
                    {
                        return Err(bad(format!(
                            "{name}: shape {:?}, variable {want:?} for {} rows",
                            e.shape,
                            ids.len()
                        )));
                    }
                    let mut runs = Vec::new();
                    let mut i = 0;
                    while i < ids.len() {
                        let mut j = i + 1;
                        while j < ids.len() && ids[j] == ids[j - 1] + 1 {
                            j += 1;
                        }
                        if ids[i] as usize + (j - i) > e.shape[0] {
                            return Err(bad(format!("{name}: row {} past {}", ids[j - 1], e.shape[0])));
                        }
                        runs.push((ids[i] as usize, j - i));
                        i = j;
                    }
                    runs
                }
                _ => {
                    if want != e.shape {
                        return Err(bad(format!("{name}: shape {:?}, variable {want:?}", e.shape)));
                    }
                    vec![(0, e.shape.first().copied().unwrap_or(1))]
                }
            };
            let width: usize = if e.shape.len() > 1 { e.shape[1..].iter().product() } else { 1 };
            let scalar = e.shape.is_empty();
            let mut row = 0usize;
            for (first, n) in runs {
                // at most CHUNK floats in memory at once
                let step = (CHUNK / width.max(1)).max(1);
                let mut done = 0;
                while done < n {
                    let k = step.min(n - done);
                    let data = self.read_f32(e.start + ((first + done) * width * 4) as u64, k * width)?;
                    tch::no_grad(|| -> Result<(), tch::TchError> {
                        let src = Tensor::f_from_slice(&data)?;
                        if scalar {
                            var.shallow_clone().f_copy_(&src.f_view(var.size().as_slice())?)?;
                        } else {
                            let mut shape = var.size();
                            shape[0] = k as i64;
                            var.f_narrow(0, row as i64, k as i64)?.f_copy_(&src.f_view(shape.as_slice())?)?;
                        }
                        Ok(())
                    })
                    .map_err(torch)?;
                    row += k;
                    done += k;
                }
            }
        }
        Ok(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file with the given F32 tensors.
    fn write_file(dir: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) -> PathBuf {
        let mut header = serde_json::Map::new();
        let mut data = Vec::new();
        for (name, shape, values) in tensors {
            let start = data.len();
            for v in values {
                data.extend_from_slice(&v.to_le_bytes());
            }
            header.insert(
                name.to_string(),
                serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
            );
        }
        header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
        let h = serde_json::to_vec(&header).unwrap();
        let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
        bytes.extend(h);
        bytes.extend(data);
        let p = dir.join("w.safetensors");
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn values(t: &Tensor) -> Vec<f32> {
        let n = t.numel();
        let mut v = vec![0f32; n];
        t.copy_data(&mut v, n);
        v
    }

    #[test]
    fn loads_whole_tensors_and_chosen_rows() {
        let dir = tempfile::tempdir().unwrap();
        let table: Vec<f32> = (0..12).map(|x| x as f32).collect(); // 6 rows × 2
        let p = write_file(dir.path(), &[("emb", vec![6, 2], table), ("bias", vec![3], vec![1.0, 2.0, 3.0])]);
        let f = SafetensorsFile::open(&p).unwrap();
        assert_eq!(f.shape("emb"), Some(&[6usize, 2][..]));
        let mut vars = HashMap::new();
        vars.insert("emb".to_string(), Tensor::zeros([4, 2], (tch::Kind::Float, tch::Device::Cpu)));
        vars.insert("bias".to_string(), Tensor::zeros([3], (tch::Kind::Float, tch::Device::Cpu)));
        vars.insert("head".to_string(), Tensor::zeros([1], (tch::Kind::Float, tch::Device::Cpu)));
        let missing = f.load_into(&vars, Some(("emb", &[0, 2, 3, 5]))).unwrap();
        assert_eq!(missing, ["head"]);
        assert_eq!(values(&vars["emb"]), [0.0, 1.0, 4.0, 5.0, 6.0, 7.0, 10.0, 11.0]);
        assert_eq!(values(&vars["bias"]), [1.0, 2.0, 3.0]);
        // wrong shapes and rows past the end are errors, not panics
        let mut bad = HashMap::new();
        bad.insert("bias".to_string(), Tensor::zeros([4], (tch::Kind::Float, tch::Device::Cpu)));
        assert!(matches!(f.load_into(&bad, None), Err(WeightsError::Invalid { .. })));
        let mut rows = HashMap::new();
        rows.insert("emb".to_string(), Tensor::zeros([2, 2], (tch::Kind::Float, tch::Device::Cpu)));
        assert!(f.load_into(&rows, Some(("emb", &[5, 6]))).is_err());
        assert!(f.load_into(&rows, Some(("emb", &[1, 2, 3]))).is_err());
    }

    #[test]
    fn bad_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("short");
        std::fs::write(&p, b"abc").unwrap();
        assert!(matches!(SafetensorsFile::open(&p), Err(WeightsError::Io { .. })));
        std::fs::write(&p, [255u8; 16]).unwrap();
        assert!(matches!(SafetensorsFile::open(&p), Err(WeightsError::Invalid { .. })));
        let mut b = 4u64.to_le_bytes().to_vec();
        b.extend(b"{x}!");
        std::fs::write(&p, b).unwrap();
        assert!(SafetensorsFile::open(&p).unwrap_err().to_string().contains("not JSON"));
        let mut h = br#"{"t":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#.to_vec();
        let mut b = (h.len() as u64).to_le_bytes().to_vec();
        b.append(&mut h);
        b.extend([0, 0]);
        std::fs::write(&p, b).unwrap();
        assert!(SafetensorsFile::open(&p).unwrap_err().to_string().contains("only F32"));
        let mut h = br#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#.to_vec();
        let mut b = (h.len() as u64).to_le_bytes().to_vec();
        b.append(&mut h);
        b.extend([0; 8]);
        std::fs::write(&p, b).unwrap();
        assert!(SafetensorsFile::open(&p).unwrap_err().to_string().contains("past the end"));
        assert!(SafetensorsFile::open(&dir.path().join("none")).is_err());
    }
}
