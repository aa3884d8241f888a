#!/usr/bin/env bash
# vigie tests: the whole suite (unit, integration, property, doc tests) against the release profile
# that scripts/setup.sh built, so dependencies are compiled only once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f .deps/libtorch/.vigie-libtorch-2.4.0 ]; then
  echo "libtorch is missing: run scripts/setup.sh first" >&2
  exit 1
fi
# formatting first (seconds); skipped with a message where rustfmt is not installed
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --check || { echo "cargo fmt --check failed: run cargo fmt" >&2; exit 1; }
else
  echo "SKIP: rustfmt is not installed (rustup component add rustfmt): formatting not checked" >&2
fi
cargo test --release --locked "$@"
