#!/usr/bin/env bash
# The main job on a fresh machine: installs the one system library the build links against
# (HDF5) if it is missing, then builds and runs the server in release mode. Arguments are
# passed to `weightslab` (e.g. scripts/run.sh --port 6000).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! dpkg-query -W -f='${Status}' libhdf5-dev 2>/dev/null | grep -q "install ok installed" \
   || ! command -v pkg-config >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing libhdf5-dev and pkg-config (needed to build the sample table's HDF5 store)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libhdf5-dev pkg-config >/dev/null
fi
exec cargo run --release -- "$@"
