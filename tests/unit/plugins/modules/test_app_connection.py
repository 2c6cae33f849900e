"""app_connection run as Ansible runs it: exact values, every key named, secrets hidden, private files.

Each module run is a separate Python process with an arguments file. Where PHP's own reading matters and
no php is installed on this controller, the test is skipped (the module then warns and says so in
read_back); a stand-in php on PATH shows that a value PHP reads otherwise stops the run first.
"""

import base64
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from modrun import fixture, run_module, snapshot

PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not installed on this controller: the module's read-back "
                                                   "with PHP is not exercised")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")


def run(tmp_path, args, check=False, diff=False, path_prefix=None, pythonpath=(), extra_env=None):
    return run_module(tmp_path, "app_connection", args, check=check, diff=diff, path_prefix=path_prefix,
                      pythonpath=pythonpath, extra_env=extra_env)


def php_ini(path, mode="INI_SCANNER_RAW"):
    code = f"echo json_encode(parse_ini_file($argv[1], true, {mode}));"
    return json.loads(subprocess.run([PHP, "-r", code, str(path)], capture_output=True, text=True,
                                     check=True).stdout)


# ------------------------------------------------------------------------ INI values read exactly
def test_ini_password_with_a_double_quote_is_written_as_phalcon_reads_it(tmp_path):
    path = fixture(tmp_path, "config.ini")
    secret = 'pa"ss;word'
    res = run(tmp_path, dict(path=str(path), secrets={"database.password": secret}))
    assert res["changed"] is True and not res.get("failed"), res
    assert 'password = "pa"ss;word"\n' in path.read_text()
    assert secret not in res["_stdout"]
    if PHP:
        assert php_ini(path)["database"]["password"] == secret
        assert res["read_back"][str(path)].startswith("read back with php: Phalcon's INI adapter")
    else:
        assert res["read_back"][str(path)] == "not read back: php is not installed on this host"
    assert run(tmp_path, dict(path=str(path), secrets={"database.password": secret}))["changed"] is False


@needs_php
def test_ini_normal_reader_escapes_quotes_and_dollar(tmp_path):
    path = fixture(tmp_path, "config.ini")
    value = 'pa"ss${HOME}\\'
    res = run(tmp_path, dict(path=str(path), ini_reader="normal", secrets={"database.password": value}))
    assert res["changed"] is True and not res.get("failed"), res
    assert php_ini(path, "INI_SCANNER_NORMAL")["database"]["password"] == value
    assert "INI_SCANNER_NORMAL" in res["read_back"][str(path)]


def test_value_no_encoding_carries_is_refused_naming_the_key(tmp_path):
    path = fixture(tmp_path, "config.ini")
    before = snapshot(path)
    res = run(tmp_path, dict(path=str(path), settings={"database.host": "two\nlines", "database.dbname": "0123"}))
    assert res["failed"] is True
    assert "database.host cannot be written" in res["msg"] and "line break" in res["msg"]
    assert "database.dbname cannot be written for Phalcon's INI adapter" in res["msg"]
    assert "nothing was changed" in res["msg"]
    assert snapshot(path) == before


def test_php_reading_otherwise_stops_before_anything_is_written(tmp_path):
    """A stand-in php whose read-back disagrees: the module fails, naming the key; the file is untouched."""
    path = fixture(tmp_path, "config.ini")
    before = snapshot(path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    other = base64.b64encode(b"elsewhere").decode()
    fake = bindir / "php"
    fake.write_text("#!/bin/sh\ncat >/dev/null\n"
                    f"echo '{{\"values\": {{\"database.host\": [[\"string\", \"{other}\"]]}}, \"error\": null}}'\n")
    fake.chmod(0o755)
    res = run(tmp_path, dict(path=str(path), settings={"database.host": "10.0.10.5"}, backup=True),
              path_prefix=bindir)
    assert res["failed"] is True, res
    assert res["msg"].startswith(f"{path}: PHP (Phalcon's INI adapter")
    assert "reads database.host otherwise than the value given; nothing was changed" in res["msg"]
    assert snapshot(path) == before
    assert sorted(os.listdir(str(tmp_path))) == ["args-app_connection.json", "bin", "config.ini"]


# -------------------------------------------------------------------- every key in one error
def test_every_getenv_key_is_named_in_one_error(tmp_path):
    path = tmp_path / "config.php"
    path.write_text("<?php\nreturn [\n    'database' => ['host' => getenv('DB_HOST'), 'port' => 3306],\n"
                    "    'beanstalk' => ['host' => getenv('BEANSTALK_HOST')],\n];\n")
    before = snapshot(path)
    res = run(tmp_path, dict(path=str(path), settings={"database.host": "10.0.10.5", "beanstalk.host": "10.0.10.6",
                                                       "database.port": 3307}))
    assert res["failed"] is True
    assert "database.host" in res["msg"] and "beanstalk.host" in res["msg"]
    assert "DB_HOST and BEANSTALK_HOST" in res["msg"] and "nothing was changed" in res["msg"]
    assert snapshot(path) == before
    env = tmp_path / ".env"
    res = run(tmp_path, dict(path=str(path), env_file=str(env),
                             settings={"database.host": "10.0.10.5", "beanstalk.host": "10.0.10.6"}))
    assert res["changed"] is True and res["redirected"] == {"database.host": "DB_HOST",
                                                            "beanstalk.host": "BEANSTALK_HOST"}
    assert env.read_text() == "DB_HOST=10.0.10.5\nBEANSTALK_HOST=10.0.10.6\n"


# ------------------------------------------------------------------------------ secrets hidden
# An .env with secrets of every kind, and the parts of them that must never show.
ENV = (Path(__file__).resolve().parents[2] / "fixtures" / "appconfig" / "secrets.env").read_text()
CLEAR = ["eEAfR", "django-insecure", "wJalrXUtnFEMI", "Url-pw-1", "Q-pw-2", "Old-pw-3"]


def test_diff_shows_only_changed_lines_with_every_secret_masked(tmp_path):
    path = tmp_path / ".env"
    path.write_text(ENV)
    res = run(tmp_path, dict(path=str(path), settings={"DB_HOST": "10.0.10.5"}), check=True, diff=True)
    assert res["changed"] is True, res
    diff = res["diff"][0]["prepared"]
    assert "-DB_HOST=localhost\n" in diff and "+DB_HOST=10.0.10.5\n" in diff
    assert "DB_PASSWORD=\"********\"" in diff and "QUEUE_URL=beanstalk://u:********@queue" in diff
    assert "# application" not in diff and "MAIL_FROM_EMAIL" not in diff
    for clear in CLEAR:
        assert clear not in res["_stdout"], clear
    assert path.read_text() == ENV


def test_secrets_passed_under_settings_are_not_returned(tmp_path):
    path = tmp_path / ".env"
    path.write_text(ENV)
    settings = {"DB_PASSWORD": "Leaked-pw-7", "APP_CRYPT_SALT": "Leaked-salt-8",
                "DATABASE_URL": "mysql://app:Leaked-url-9@10.0.10.5/app", "DB_HOST": "10.0.10.5"}
    res = run(tmp_path, dict(path=str(path), settings=settings), diff=True)
    assert res["changed"] is True, res
    for clear in ["Leaked-pw-7", "Leaked-salt-8", "Leaked-url-9", *CLEAR]:
        assert clear not in res["_stdout"], clear
    assert res["invocation"]["module_args"]["settings"]["DB_HOST"] == "10.0.10.5"
    changes = dict((c["key"], c) for c in res["changes"])
    assert changes["DATABASE_URL"]["new"] == "mysql://app:********@10.0.10.5/app"
    assert changes["DB_PASSWORD"]["new"] == changes["APP_CRYPT_SALT"]["old"] == "********"
    assert 'DB_PASSWORD="Leaked-pw-7"\n' in path.read_text()


def test_default_password_of_a_getenv_expression_is_not_shown(tmp_path):
    path = tmp_path / "config.php"
    path.write_text("<?php\nreturn ['db' => ['password' => getenv('DB_PASSWORD') ?: 'Default-pw-5']];\n")
    res = run(tmp_path, dict(path=str(path), secrets={"db.password": "x"}))
    assert res["failed"] is True and "DB_PASSWORD" in res["msg"]
    assert "Default-pw-5" not in res["_stdout"]


# ------------------------------------------------------------------------------ private files
@needs_root
def test_backup_is_0600_and_owned_like_the_original(tmp_path):
    path = fixture(tmp_path, "app.env", ".env")
    os.chown(str(path), 65534, 65534)
    os.chmod(str(path), 0o644)
    original = path.read_bytes()
    res = run(tmp_path, dict(path=str(path), secrets={"DB_PASSWORD": "New-pw-1"}, backup=True))
    assert res["changed"] is True, res
    backup = res["backup_files"][0]
    st = os.stat(backup)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o600)
    with open(backup, "rb") as f:
        assert f.read() == original
    st = os.stat(str(path))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o644)


AUDIT = '''
import json, os, stat, sys
_LOG = os.environ["TIERSPLIT_AUDIT_LOG"]
_TARGET = os.environ["TIERSPLIT_AUDIT_PATH"]
_busy = []
def _hook(event, args):
    if _busy or event not in ("os.chmod", "os.rename"):
        return
    _busy.append(1)
    try:
        if event == "os.chmod" and not isinstance(args[0], int) and os.fsdecode(args[0]) == _TARGET:
            entry = ["chmod", args[1]]
        elif event == "os.rename" and os.fsdecode(args[1]) == _TARGET:
            st = os.stat(args[0])
            entry = ["rename", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_size]
        else:
            return
        with open(_LOG, "a") as f:
            f.write(json.dumps(entry) + "\\n")
    finally:
        _busy.pop()
sys.addaudithook(_hook)
'''


def test_new_env_file_has_its_final_mode_and_owner_from_the_start(tmp_path):
    """Every chmod of the new .env and its mode when it appears (audit hooks in the module's process)."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(AUDIT)
    log = tmp_path / "audit.log"
    path = fixture(tmp_path, "vokuro_config.php")
    if os.geteuid() == 0:
        os.chown(str(path), 65534, 65534)
    env = tmp_path / ".env"
    res = run(tmp_path, dict(path=str(path), env_file=str(env), secrets={"database.password": "New-pw-2"}),
              pythonpath=[str(hooks)], extra_env={"TIERSPLIT_AUDIT_LOG": str(log), "TIERSPLIT_AUDIT_PATH": str(env)})
    assert res["changed"] is True, res
    events = [json.loads(line) for line in log.read_text().splitlines()]
    owner = [65534, 65534] if os.geteuid() == 0 else [os.geteuid(), os.getegid()]
    assert [e[0] for e in events] == ["rename"], events
    assert events[0][1:] == [0o640, *owner, len(env.read_bytes())]
    st = os.stat(str(env))
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, *owner)
