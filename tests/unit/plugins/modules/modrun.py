"""Run a module of the collection as Ansible runs it: a separate Python process with an arguments file."""

import json
import os
import shutil
import stat
import subprocess
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "appconfig")
PKG = "ansible_collections.tiersplit.maintenance.plugins.modules."


def run_module(tmp_path, module, args, check=False, diff=False, path_prefix=None, pythonpath=(), extra_env=None):
    """The module's JSON result (plus _stdout, what it printed)."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    f = tmp_path / f"args-{module}.json"
    f.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.environ["TIERSPLIT_TEST_COLLECTIONS"], *pythonpath]))
    if path_prefix:
        env["PATH"] = str(path_prefix) + os.pathsep + env["PATH"]
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, "-m", PKG + module, str(f)], capture_output=True, text=True,
                          env=env, check=False)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(f"module printed no JSON: {proc.stdout} {proc.stderr}")
    result["_stdout"] = proc.stdout
    return result


def fixture(tmp_path, name, dest=None):
    """A copy of a fixture file of tests/unit/fixtures/appconfig in tmp_path."""
    path = tmp_path / (dest or name)
    shutil.copy(os.path.join(FIXTURES, name), str(path))
    return path


def snapshot(path):
    """Content, mtime, owner, group and mode of a file: equal snapshots mean nothing touched it."""
    st = os.stat(str(path))
    return path.read_bytes(), st.st_mtime_ns, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)
