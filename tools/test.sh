#!/usr/bin/env bash
# Install everything LANBoard's tests need, then run the whole suite. Extra arguments go to
# pytest: `bash tools/test.sh tests/test_cli.py -q`.
#
# Python packages go into a virtualenv, never into the system Python (Debian 12, Ubuntu 23.04+
# and Raspberry Pi OS refuse that anyway, PEP 668): the venv that is active when this runs
# inside one, else .venv/ in the checkout, made on the first run. Later runs reuse it and
# install again only when pyproject.toml's dependency lists change (or the venv's Python, or
# the checkout's path). PYTHON=python3.10 picks the interpreter a new .venv is made with.
#
# As root on Debian or Ubuntu it also apt-installs the programs the tests drive; otherwise it
# names them, and the tests that need them skip.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'tools/test.sh: %s\n' "$*"; }

# ---- programs from the system's packages ----------------------------------------------------
need=()
want() {  # want COMMAND PACKAGE: the package, when the command is missing
  command -v "$1" >/dev/null 2>&1 || need+=("$2")
}
want chromium chromium           # browser end-to-end tests (Playwright drives this one)
want zbarimg zbar-tools          # decoding the QR codes LANBoard draws
want ip iproute2                 # two-host mDNS test in network namespaces
want node nodejs                 # node --test of the browser's ES modules
want npm npm                     # axe-core for the accessibility e2e (tests/package.json)
want objdump binutils            # PyInstaller reads each library's dependencies with objdump
want pdftotext poppler-utils     # PDF export tests (pdftotext, pdftoppm)
want redis-server redis-server   # tests of the shared-store backend
want pipx pipx                   # the README's install command, tried by tests/test_install.py

python=${PYTHON:-python3}
venv=.venv
if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
  venv=$VIRTUAL_ENV              # run from inside an activated venv: use that one
elif ! [ -x .venv/bin/python ] && ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need+=(python3-venv)           # Debian's python3 makes venvs only with this package
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing system packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" </dev/null
  else
    say "not installed: ${need[*]} (as root this installs them; the tests needing them skip)" >&2
  fi
fi

# ---- the virtualenv -------------------------------------------------------------------------
if [ "$venv" = .venv ] && ! .venv/bin/python -c '' >/dev/null 2>&1; then
  # Missing, or broken (its Python was removed or upgraded away): make it afresh.
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
    say "LANBoard needs Python 3.10 or newer; '$python' is not (set PYTHON=python3.x)" >&2
    exit 2
  fi
  say "making a virtualenv in .venv with $("$python" -c 'import sys; print(sys.executable)')"
  "$python" -m venv --clear .venv
fi
py=$venv/bin/python

# What the installed packages depend on: pyproject.toml's [build-system] and [project...]
# tables (dependencies, extras, entry points; not the tool settings below them), the venv's
# Python, and this checkout's path, which the editable install points at.
deps_key() {
  awk '/^\[/ { keep = ($0 ~ /^\[(build-system|project)[].]/) } keep' pyproject.toml
  "$py" -c 'import sys; print(sys.version)'
  pwd
}
stamp=$venv/.lanboard-deps
key=$(deps_key | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$key" ]; then
  say "installing LANBoard and its test and build dependencies into $venv" \
      "(pip install -e '.[test,build]'; the first time takes a minute or two and about 400 MB)..."
  "$py" -m pip install --disable-pip-version-check --no-input --progress-bar off \
      -e '.[test,build]' | { grep --line-buffered -v '^Requirement already satisfied' || true; }
  printf '%s\n' "$key" > "$stamp"
  say "dependencies installed"
else
  say "dependencies up to date in $venv"
fi

# axe-core, pinned in tests/package-lock.json, injected by tests/e2e/test_a11y.py from disk.
if command -v npm >/dev/null 2>&1 && { ! [ -f tests/node_modules/axe-core/axe.min.js ] ||
    [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; }; then
  say "installing axe-core for the accessibility tests (npm ci --prefix tests)"
  npm ci --prefix tests --no-audit --no-fund --loglevel=error
fi

# Two worker processes, each taking whole test files (their module fixtures, one server and one
# browser, stay shared): the suite is mostly waiting on browsers and sockets, so two keep this
# machine's two cores busy. LANBOARD_TEST_WORKERS=0 runs everything in this one process.
exec "$py" -m pytest -n "${LANBOARD_TEST_WORKERS:-2}" --dist loadfile "$@"
