"""report_files (action plugin): files written on the controller only when their content or mode differ."""

import os
import stat
import subprocess
import sys
import textwrap

import pytest
from ansible.errors import AnsibleActionFail
from ansible_collections.tiersplit.maintenance.plugins.action import report_files as rf


def test_written_kept_and_replaced(tmp_path):
    f = str(tmp_path / "r.json")
    assert rf.write(f, "{}\n", 0o644, check=True) is True
    assert not os.path.exists(f)
    assert rf.write(f, "{}\n", 0o644, check=False) is True
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o644
    inode = os.stat(f).st_ino
    assert rf.write(f, "{}\n", 0o644, check=False) is False
    assert os.stat(f).st_ino == inode
    assert rf.write(f, "{}\n", 0o600, check=False) is True
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert rf.write(f, '{"a": 1}\n', 0o600, check=False) is True
    with open(f) as fh:
        assert fh.read() == '{"a": 1}\n'
    assert sorted(os.listdir(tmp_path)) == ["r.json"]


def test_mode_must_be_octal():
    assert rf._mode("0640", "mode") == 0o640
    with pytest.raises(AnsibleActionFail, match="octal mode"):
        rf._mode("rw-r--r--", "mode")


def test_through_a_play(tmp_path):
    """The plugin as a task runs it: both files, then nothing changed; check mode writes nothing."""
    out = tmp_path / "reports"
    play = tmp_path / "play.yml"
    play.write_text(textwrap.dedent(f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - tiersplit.maintenance.report_files:
                dir: {out}
                files: {{a.json: "{{{{ {{'x': 1}} | to_json }}}}\\n", a.txt: "x is 1\\n"}}
              register: r
            - ansible.builtin.assert:
                that: r.changed == (lookup('env', 'EXPECT_CHANGED') == '1')
    """))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.environ["TIERSPLIT_TEST_COLLECTIONS"])
    ap = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")

    def run(*extra, changed):
        p = subprocess.run([ap, "-i", "localhost,", "-c", "local", str(play), *extra], capture_output=True,
                           text=True, env=dict(env, EXPECT_CHANGED="1" if changed else "0"), check=False)
        assert p.returncode == 0, p.stdout + p.stderr

    run("--check", changed=True)
    assert not out.exists()
    run(changed=True)
    assert (out / "a.json").read_text() == '{"x": 1}\n'
    assert (out / "a.txt").read_text() == "x is 1\n"
    run(changed=False)
