#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine: installs what is missing
# (apt packages, a Python venv, npm packages), then formatting, lints, Rust unit and
# black-box tests, the Python interop tests, the Studio build check and the browser tests.
# Usage: scripts/test-all.sh            (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
ARTIFACTS="$ROOT/artifacts"
mkdir -p "$ARTIFACTS"
step() { printf '\n==== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }

# --- system packages -------------------------------------------------------------------------
APT_PACKAGES=(pkg-config libhdf5-dev mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgl1-mesa-dri chromium xvfb imagemagick curl libwebkit2gtk-4.1-dev dbus)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- cargo target dir: reused across clones when the machine keeps it ---------------------------
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  if mkdir -p /var/cache/weightslab/target 2>/dev/null && [ -w /var/cache/weightslab/target ]; then
    export CARGO_TARGET_DIR=/var/cache/weightslab/target
  else
    export CARGO_TARGET_DIR="$ROOT/target"
  fi
fi
stamp="$CARGO_TARGET_DIR/.rustc-version"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$(rustc -V)" ]; then
  step "rustc changed: wiping $CARGO_TARGET_DIR"; rm -rf "$CARGO_TARGET_DIR"; mkdir -p "$CARGO_TARGET_DIR"
fi
# A warm target dir saves most of the run; it is trimmed only when it grows past 60 GB or the
# disk runs low: first the release and incremental builds this script never uses, then all.
size_gb() { du -s --block-size=1G "$CARGO_TARGET_DIR" 2>/dev/null | cut -f1; }
free_gb() { df --output=avail -BG "$CARGO_TARGET_DIR" 2>/dev/null | tail -n1 | tr -dc 0-9; }
too_big() { [ "$(size_gb)" -gt 60 ] || [ "$(free_gb)" -lt 10 ]; }
if [ -d "$CARGO_TARGET_DIR" ] && too_big; then
  step "target dir $(size_gb) GB, disk $(free_gb) GB free: dropping release/ and incremental/"
  rm -rf "$CARGO_TARGET_DIR/release" "$CARGO_TARGET_DIR/debug/incremental"
  if too_big; then
    step "still too big: wiping $CARGO_TARGET_DIR"; rm -rf "$CARGO_TARGET_DIR"; mkdir -p "$CARGO_TARGET_DIR"
  fi
fi
rustc -V > "$stamp"
export CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
echo "cargo target dir: $CARGO_TARGET_DIR"

# --- Python venv for the interop tests (public weightslab 2.0.3 stubs, h5py, numpy) ----------------
VENV="$ROOT/.venv"
if ! "$VENV/bin/python" -c "import grpc, google.protobuf, numpy, h5py, pytest" 2>/dev/null \
   || ! "$VENV/bin/pip" show weightslab >/dev/null 2>&1; then
  step "python venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check grpcio protobuf numpy h5py pytest
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps weightslab==2.0.3
fi
export WL_PYTHON="$VENV/bin/python"

# --- Rust -------------------------------------------------------------------------------------------
step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
step "cargo build (binaries used by the black-box tests)"
cargo build --workspace --bins
step "cargo test"
cargo test --workspace
export WL_SERVER_BIN="$CARGO_TARGET_DIR/debug/weightslab"

# --- Python interop -----------------------------------------------------------------------------
step "python interop (public weightslab 2.0.3 stubs)"
"$VENV/bin/python" -m pytest -q tests/python

# --- Studio: the embedded build matches its sources, then the browser tests --------------------------
if [ -d ui-shim ]; then
  step "studio: npm ci + dist check"
  (cd ui-shim && npm ci --no-audit --no-fund --loglevel=error && npm test && bash check-dist.sh)
fi
if [ -d tests/browser ]; then
  step "studio: browser tests (headless chromium)"
  # The stock Weights Studio from the public wheel, for the compatibility test.
  WL_WEIGHTS_STUDIO_DIR="$("$VENV/bin/python" -c 'import importlib.util, os; print(os.path.join(importlib.util.find_spec("weightslab").submodule_search_locations[0], "ui", "static"))')"
  export WL_WEIGHTS_STUDIO_DIR
  (cd ui-shim && node --test --test-concurrency=1 "$ROOT"/tests/browser/)
fi

# --- Desktop app: the Tauri shell under Xvfb ----------------------------------------------------
step "desktop: smoke test under Xvfb"
bash tests/desktop/smoke.sh "$CARGO_TARGET_DIR/debug/weightslab-desktop" "$ARTIFACTS/desktop"

step "all tests passed"
