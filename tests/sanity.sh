#!/usr/bin/env bash
# Run `ansible-test sanity` over this collection's plugins and tests.
#
# ansible-test needs the collection at a path ending in ansible_collections/NAMESPACE/NAME and,
# inside a git checkout, only sees tracked files. So the collection's metadata, plugins/ and tests/
# (tracked and untracked-but-not-ignored files alike) are copied into a temporary tree with that
# layout, outside any git checkout, and ansible-test runs there with Python 3.11 (no docker).
#
# Usage: bash tests/sanity.sh [extra ansible-test sanity arguments, e.g. --test validate-modules]
# Exits non-zero on any sanity error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TS_VENV:-$ROOT/.venv}"
[ -x "$VENV/bin/ansible-test" ] || { echo "sanity.sh: no ansible-test in $VENV (set TS_VENV or create the venv)" >&2; exit 2; }

WORK="$(mktemp -d /tmp/tiersplit-sanity.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/ansible_collections/tiersplit/maintenance"
mkdir -p "$DEST"

cd "$ROOT"
# Tracked files plus new files that are not ignored, limited to what sanity should check.
{ git ls-files -z -- galaxy.yml meta plugins tests
  git ls-files -z --others --exclude-standard -- galaxy.yml meta plugins tests; } \
  | sort -zu | while IFS= read -r -d '' f; do
      [ -e "$f" ] || continue
      mkdir -p "$DEST/$(dirname "$f")"
      cp -p "$f" "$DEST/$f"
    done
[ -f "$DEST/galaxy.yml" ] || cp -p galaxy.yml "$DEST/"
# ansible-test insists on a README referenced by galaxy.yml only for builds; keep a stub if absent.
[ -f README.md ] && cp -p README.md "$DEST/" || true

# ansible-test's --venv mode downloads a pip bootstrap script from a host this machine cannot
# reach, so sanity runs with --local in a virtualenv of its own (made once, cached), holding the
# project's pinned ansible-core; ansible-test installs each test's pinned requirements (pylint,
# voluptuous, ...) there itself with pip (--requirements). The project venv is left untouched.
CORE_VERSION="$("$VENV/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
SANITY_VENV="${TS_SANITY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tiersplit/sanity-venv-$CORE_VERSION}"
if [ ! -x "$SANITY_VENV/bin/ansible-test" ]; then
  echo "sanity.sh: creating $SANITY_VENV (ansible-core $CORE_VERSION)" >&2
  rm -rf "$SANITY_VENV"
  "$VENV/bin/python" -m venv "$SANITY_VENV"
  "$SANITY_VENV/bin/python" -m pip install -q --disable-pip-version-check "ansible-core==$CORE_VERSION"
fi

# Each test's virtualenv is created without pip and bootstrapped with get-pip.py, which ansible-test
# downloads from a host outside the package registries. Where it is not cached, put a stand-in in
# its cache that does the same from PyPI: ensurepip, then `pip install` of the requested pip.
PIP_VERSION="$("$SANITY_VENV/bin/python" - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)"
GET_PIP="$HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py"
if [ ! -f "$GET_PIP" ]; then
  mkdir -p "$(dirname "$GET_PIP")"
  cat >"$GET_PIP" <<'PY'
# Stand-in for get-pip.py written by tiersplit's tests/sanity.sh: same arguments, pip from PyPI.
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
fi

cd "$DEST"
export PATH="$SANITY_VENV/bin:$PATH"
exec "$SANITY_VENV/bin/ansible-test" sanity --local --requirements --python 3.11 --color no "$@"
