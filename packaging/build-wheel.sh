#!/usr/bin/env bash
# Build rescore's wheel for this machine and prove that it installs and runs without Rust.
#
#   packaging/build-wheel.sh [OUT_DIR]     (default: target/wheels)
#
# maturin is installed from PyPI into a throwaway virtualenv and builds the wheel (release
# profile, `--locked` via pyproject.toml); the wheel is then installed into a second, fresh
# virtualenv, and the `rescore` found there runs `--version` and `check` on the shipped example.
# Needs python3 (with venv) and a Rust toolchain for the build; the wheel it leaves in OUT_DIR
# does not need either beyond Python to install.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-target/wheels}
python=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A virtualenv's executables are in bin/ on Unix and Scripts/ (with .exe) on Windows.
venv_bin() {
    if [ -d "$1/Scripts" ]; then echo "$1/Scripts"; else echo "$1/bin"; fi
}

echo "== maturin, in a throwaway virtualenv"
"$python" -m venv "$work/build"
build_bin=$(venv_bin "$work/build")
"$build_bin/python" -m pip install --quiet --disable-pip-version-check "maturin>=1.9,<2"
"$build_bin/maturin" --version

echo "== build the wheel"
mkdir -p "$out"
# Only this build's wheel is installed below, never an older one left in OUT_DIR.
"$build_bin/maturin" build --release --out "$work/dist"
wheel=$(ls "$work"/dist/rescore-*.whl)
cp "$wheel" "$out/"
wheel="$out/$(basename "$wheel")"
echo "wheel: $wheel ($(wc -c <"$wheel" | tr -d ' ') bytes)"

echo "== install it into a fresh virtualenv"
"$python" -m venv "$work/try"
try_bin=$(venv_bin "$work/try")
"$try_bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"

echo "== run the installed rescore"
export PATH="$try_bin:$PATH"
found=$(command -v rescore)
case "$found" in
    "$try_bin"/rescore*) ;;
    *) echo "error: \`rescore\` resolves to $found, not to the virtualenv's $try_bin" >&2; exit 1 ;;
esac
# From outside the checkout, so nothing but the installed binary can answer.
cd "$work"
rescore --version
rescore check --root "$repo/examples/world-models"
echo "ok: $wheel installs and runs"
