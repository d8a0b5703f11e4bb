#!/usr/bin/env bash
# Python packaging and pre-commit checks, run on a clean clone with network access to PyPI and
# crates.io. It writes to target/ (the wheel build), a temporary directory (removed at the end) and
# pip's and cargo's download caches, nothing else:
#
#   (a) maturin builds the wheel (pyproject.toml, `bindings = "bin"`); the wheel is installed into
#       a fresh virtualenv and its `dpolint` must print the Cargo.toml version, pass
#       examples/einstein_dpo.jsonl (exit 0) and fail examples/broken_dpo.jsonl (exit 1); then
#       `pip install .` must install the same command from the source tree;
#   (b) the real pre-commit runs this repository's .pre-commit-hooks.yaml (`pre-commit try-repo`)
#       in a throwaway git repository holding the sample files, then the configurations that
#       docs/pre-commit.md shows (shard directories, the pip-installed `language: system` hook).
#
# The hook repository pre-commit clones is a snapshot of this working tree (tracked and untracked,
# ignored files left out) committed in the temporary directory: try-repo needs a commit, and the
# repository here is never committed to.
#
# Slow part: the release build by maturin into target/; pre-commit's `cargo install` of its own
# clone reuses its dependencies there (only dpolint itself, and any dependency that cargo install
# resolves to a newer version without the lock file, is compiled again).
# Each command has a time limit in seconds: STEP_TIMEOUT (default 2400).
# PYTHON picks the interpreter (default python3, 3.8 or newer with the venv module).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

MATURIN_VERSION=1.16.0
PRE_COMMIT_VERSION=4.7.0
PYTHON=${PYTHON:-python3}
STEP_TIMEOUT=${STEP_TIMEOUT:-2400}
PIP_FLAGS=(--disable-pip-version-check --no-input --progress-bar off)

START=$SECONDS
STEP_START=$SECONDS
TIMINGS=()
step() {
  if [ -n "${STEP_NAME:-}" ]; then TIMINGS+=("$(printf '%5ds  %s' $((SECONDS - STEP_START)) "$STEP_NAME")"); fi
  STEP_NAME=$*
  STEP_START=$SECONDS
  printf '\n==> %s\n' "$*"
}
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dpolint-python-checks.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/output.txt

# expect CODE WHAT CMD...: runs CMD, shows its output, fails unless it exits with CODE.
expect() {
  local want=$1 what=$2 got=0 t0=$SECONDS
  shift 2
  printf -- '--- %s\n$ %s\n' "$what" "$*"
  timeout -k 30 "$STEP_TIMEOUT" "$@" >"$OUT" 2>&1 || got=$?
  sed 's/^/    /' "$OUT"
  if [ "$got" = 124 ] || [ "$got" = 137 ]; then fail "$what: timed out after ${STEP_TIMEOUT}s"; fi
  [ "$got" = "$want" ] || fail "$what: exit status $got, expected $want"
  printf 'ok: %s (exit %s, %ss)\n' "$what" "$got" $((SECONDS - t0))
}
# contains TEXT WHAT: the output of the last `expect` holds TEXT.
contains() {
  grep -qF -- "$1" "$OUT" || fail "$2: the output does not contain '$1'"
}

step "preconditions"
for tool in git tar timeout cargo; do
  command -v "$tool" >/dev/null || fail "$tool is not on the PATH"
done
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "$ROOT is not a git checkout"
"$PYTHON" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 8), sys.version' ||
  fail "$PYTHON is not Python 3.8+ with the venv and ensurepip modules"
VERSION=$(cargo metadata --no-deps --format-version 1 --locked |
  "$PYTHON" -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "dpolint"))')
echo "dpolint $VERSION (Cargo.toml), $("$PYTHON" --version), $(cargo --version)"
# dpolint reads `[tool.dpolint]` from pyproject.toml files above the working directory; this
# repository's pyproject.toml describes the package only and must not configure dpolint.
"$PYTHON" - <<'EOF' || fail "pyproject.toml must not have a [tool.dpolint] table"
import re, sys
text = open("pyproject.toml", encoding="utf-8").read()
try:
    import tomllib
except ImportError:  # Python < 3.11: a textual check
    sys.exit(1 if re.search(r'^\s*\[+\s*"?tool"?\s*\.\s*"?dpolint\b|^\s*tool\s*\.\s*"?dpolint\b', text, re.M) else 0)
sys.exit(1 if "dpolint" in tomllib.loads(text).get("tool", {}) else 0)
EOF

step "(a) maturin $MATURIN_VERSION: build the wheel"
"$PYTHON" -m venv "$WORK/build-venv"
expect 0 "pip install maturin==$MATURIN_VERSION" \
  "$WORK/build-venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -q "maturin==$MATURIN_VERSION"
expect 0 "maturin build --release" "$WORK/build-venv/bin/maturin" build --release --out "$WORK/wheels"
shopt -s nullglob
WHEELS=("$WORK"/wheels/*.whl)
shopt -u nullglob
[ "${#WHEELS[@]}" = 1 ] || fail "expected one wheel, found: ${WHEELS[*]:-none}"
WHEEL=${WHEELS[0]}
echo "wheel: $(basename "$WHEEL") ($(du -h "$WHEEL" | cut -f1))"
case $(basename "$WHEEL") in
  "dpolint-$VERSION-py3-none-"*) ;;
  *) fail "the wheel's name does not carry version $VERSION and the py3-none tag" ;;
esac

step "(a) install the wheel into a fresh virtualenv and run it"
"$PYTHON" -m venv "$WORK/wheel-venv"
expect 0 "pip install the wheel" "$WORK/wheel-venv/bin/python" -m pip install "${PIP_FLAGS[@]}" --no-index "$WHEEL"
DPOLINT=$WORK/wheel-venv/bin/dpolint
[ -x "$DPOLINT" ] || fail "the wheel did not install $DPOLINT"
expect 0 "dpolint --version" "$DPOLINT" --version
[ "$(cat "$OUT")" = "dpolint $VERSION" ] || fail "dpolint --version printed '$(cat "$OUT")', expected 'dpolint $VERSION'"
expect 0 "check the valid sample" "$DPOLINT" check examples/einstein_dpo.jsonl
contains "no problems found" "check the valid sample"
expect 1 "check the broken sample" "$DPOLINT" check examples/broken_dpo.jsonl
contains "DPO104" "check the broken sample"

step "(a) pip install . (source tree, maturin as the PEP 517 backend)"
# The build backend runs in pip's isolated build environment; the constraint pins its maturin.
echo "maturin==$MATURIN_VERSION" >"$WORK/constraints.txt"
"$PYTHON" -m venv "$WORK/source-venv"
expect 0 "pip install ." env PIP_CONSTRAINT="$WORK/constraints.txt" \
  "$WORK/source-venv/bin/python" -m pip install "${PIP_FLAGS[@]}" "$ROOT"
expect 0 "dpolint --version (pip install .)" "$WORK/source-venv/bin/dpolint" --version
[ "$(cat "$OUT")" = "dpolint $VERSION" ] || fail "dpolint --version printed '$(cat "$OUT")'"

step "(b) pre-commit $PRE_COMMIT_VERSION: hook repository and test repository"
"$PYTHON" -m venv "$WORK/pre-commit-venv"
expect 0 "pip install pre-commit==$PRE_COMMIT_VERSION" \
  "$WORK/pre-commit-venv/bin/python" -m pip install "${PIP_FLAGS[@]}" -q "pre-commit==$PRE_COMMIT_VERSION"
PRE_COMMIT=$WORK/pre-commit-venv/bin/pre-commit
export PRE_COMMIT_HOME=$WORK/pre-commit-home  # a cold cache: the first run builds the hook
# pre-commit installs the hook with `cargo install --bins --root ENV --path .` in a fresh clone,
# and `try-repo` even uses a fresh store on every call, so each try-repo would rebuild everything.
# Sharing the wheel build's target directory lets every hook install reuse its compiled
# dependencies (CI has 90 minutes on 2 cores); a user's first hook run is a cold build, about as
# long as the maturin step above.
export CARGO_TARGET_DIR=$ROOT/target
export PRE_COMMIT_COLOR=never
GIT=(git -c user.name=dpolint-ci -c user.email=ci@dpolint.invalid -c commit.gpgsign=false -c init.defaultBranch=main)
expect 0 "pre-commit validate-manifest" "$PRE_COMMIT" validate-manifest .pre-commit-hooks.yaml

HOOKS=$WORK/hook-repo
mkdir -p "$HOOKS"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$HOOKS"
"${GIT[@]}" -C "$HOOKS" init -q
"${GIT[@]}" -C "$HOOKS" add -A
"${GIT[@]}" -C "$HOOKS" commit -q -m "dpolint working tree for pre-commit try-repo"
REV=$(git -C "$HOOKS" rev-parse HEAD)
echo "hook repository: $HOOKS @ $REV"

TEST=$WORK/test-repo
mkdir -p "$TEST/data/train"
cp examples/einstein_dpo.jsonl "$TEST/data/good.jsonl"
cp examples/broken_dpo.jsonl "$TEST/data/bad.jsonl"
# Valid but for one blank line (DPO005, a warning).
{ head -n 1 examples/einstein_dpo.jsonl; echo; tail -n +2 examples/einstein_dpo.jsonl; } >"$TEST/data/warn.jsonl"
# One dataset in two shards of two examples: valid as a directory, each shard alone is DPO401.
head -n 2 examples/einstein_dpo.jsonl >"$TEST/data/train/part-0000.jsonl"
tail -n +3 examples/einstein_dpo.jsonl >"$TEST/data/train/part-0001.jsonl"
"${GIT[@]}" -C "$TEST" init -q
"${GIT[@]}" -C "$TEST" add -A
"${GIT[@]}" -C "$TEST" commit -q -m "sample datasets"
cd "$TEST"

step "(b) pre-commit try-repo: valid file (first run: cargo install of the hook)"
expect 0 "try-repo dpolint on a valid file" "$PRE_COMMIT" try-repo "$HOOKS" dpolint --verbose --files data/good.jsonl
contains "Passed" "try-repo dpolint on a valid file"
contains "data/good.jsonl: 4 examples in 4 lines: no problems found" "try-repo dpolint on a valid file"

step "(b) pre-commit try-repo: broken file"
expect 1 "try-repo dpolint on a broken file" "$PRE_COMMIT" try-repo "$HOOKS" dpolint --files data/bad.jsonl
contains "Failed" "try-repo dpolint on a broken file"
contains "data/bad.jsonl:2:34: error DPO104" "try-repo dpolint on a broken file"

step "(b) pre-commit run: the configuration of docs/pre-commit.md (shards, pip-installed hook)"
# The remote hook with the shard directory excluded, the same hook checking the directory as one
# dataset, and the `repo: local` hook running the pip-installed dpolint (wheel virtualenv on PATH).
# `pre-commit run` installs the hook once into PRE_COMMIT_HOME; the runs after it reuse it.
cat >.pre-commit-config.yaml <<EOF
repos:
  - repo: $HOOKS
    rev: $REV
    hooks:
      - id: dpolint
        exclude: ^data/train/
      - id: dpolint
        name: dpolint (data/train shards)
        alias: dpolint-train
        files: ^data/train/
        pass_filenames: false
        args: [data/train/]
  - repo: local
    hooks:
      - id: dpolint-train-local
        name: dpolint (data/train shards, pip-installed)
        entry: dpolint check
        language: system
        files: ^data/train/
        pass_filenames: false
        args: [data/train/]
EOF
# Both hooks of the manifest, unchanged (same repository and rev: no second install).
cat >plain-hooks.yaml <<EOF
repos:
  - repo: $HOOKS
    rev: $REV
    hooks:
      - id: dpolint
      - id: dpolint-strict
EOF
"${GIT[@]}" add .pre-commit-config.yaml plain-hooks.yaml
export PATH=$WORK/wheel-venv/bin:$PATH
expect 0 "pre-commit run on the valid file and the shards" \
  "$PRE_COMMIT" run --verbose --files data/good.jsonl data/train/part-0000.jsonl data/train/part-0001.jsonl
contains "data/good.jsonl: 4 examples in 4 lines: no problems found" "pre-commit run (file)"
[ "$(grep -cF "data/train/: 4 examples in 4 lines (2 shards): no problems found" "$OUT")" = 2 ] ||
  fail "pre-commit run (shards): both directory hooks should report data/train/ as one valid dataset"
expect 1 "pre-commit run --all-files (the broken file fails)" "$PRE_COMMIT" run --all-files
contains "data/bad.jsonl:2:34: error DPO104" "pre-commit run --all-files"

step "(b) pre-commit run: dpolint and dpolint-strict on warnings, dpolint on a lone shard"
expect 0 "dpolint on a file with a warning" \
  "$PRE_COMMIT" run -c plain-hooks.yaml dpolint --verbose --files data/warn.jsonl
contains "data/warn.jsonl:2:1: warning DPO005" "dpolint on a file with a warning"
expect 1 "dpolint-strict on a file with a warning" \
  "$PRE_COMMIT" run -c plain-hooks.yaml dpolint-strict --files data/warn.jsonl
contains "data/warn.jsonl:2:1: warning DPO005" "dpolint-strict on a file with a warning"
expect 1 "dpolint on one shard of a dataset (why shards need the directory hook)" \
  "$PRE_COMMIT" run -c plain-hooks.yaml dpolint --files data/train/part-0000.jsonl
contains "error DPO401" "dpolint on one shard of a dataset"
cd "$ROOT"

step "ok"
TIMINGS+=("$(printf '%5ds  total' $((SECONDS - START)))")
printf '%s\n' "${TIMINGS[@]}"
