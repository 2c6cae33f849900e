"""replica_window run as Ansible runs it: steps that act do nothing in check mode; required inputs."""

import json
import os
import subprocess
import sys

import pytest

MODULE = "ansible_collections.tiersplit.maintenance.plugins.modules.replica_window"


def run(tmp_path, args, check=False):
    f = tmp_path / "args.json"
    f.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check)}))
    env = dict(os.environ, PYTHONPATH=os.environ["TIERSPLIT_TEST_COLLECTIONS"])
    proc = subprocess.run([sys.executable, "-m", MODULE, str(f)], capture_output=True, text=True, env=env, check=False)
    return json.loads(proc.stdout)


@pytest.mark.parametrize("step", ["fence", "release", "pause"])
def test_acting_steps_do_nothing_in_check_mode(tmp_path, step):
    res = run(tmp_path, dict(step=step, login_unix_socket=str(tmp_path / "no.sock")), check=True)
    assert res["changed"] and not res.get("failed")
    assert "not run" in res["msg"]


def test_reading_step_connects_even_in_check_mode(tmp_path):
    res = run(tmp_path, dict(step="accounts", login_unix_socket=str(tmp_path / "no.sock"),
                             config_file=str(tmp_path / "none.cnf")), check=True)
    assert res["failed"] and "cannot connect" in res["msg"]


@pytest.mark.parametrize("args", [dict(step="catch_up"), dict(step="audit", expect_gtid="0-1-1")])
def test_required_inputs(tmp_path, args):
    res = run(tmp_path, args)
    assert res["failed"] and "missing" in res["msg"]
