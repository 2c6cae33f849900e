"""The three modules run as Ansible runs them (a separate Python process with an arguments file)."""

import json
import os
import stat

import pytest
from modrun import fixture, run_module, snapshot


def run(tmp_path, module, args, check=False, diff=False):
    return run_module(tmp_path, module, args, check=check, diff=diff)


SETS = [
    ("phalcon3_config.php", {"database.host": "10.0.10.5", "beanstalk.host": "10.0.10.6"}, "database.password"),
    ("phalcon5_config.php", {"database.host": "10.0.10.5", "queue.beanstalk.host": "10.0.10.6"}, "database.password"),
    ("app.env", {"DB_HOST": "10.0.10.5", "QUEUE_HOST": "10.0.10.6"}, "DB_PASSWORD"),
    ("config.ini", {"database.host": "10.0.10.5", "beanstalk.host": "10.0.10.6"}, "database.password"),
    ("config.json", {"database.host": "10.0.10.5", "queue.beanstalk.host": "10.0.10.6"}, "database.password"),
    ("config.yml", {"database.host": "10.0.10.5", "queue.beanstalk.host": "10.0.10.6"}, "database.password"),
]
NEW_SECRET = "Nw-s3cret-7781"


@pytest.mark.parametrize("name,settings,secret_key", SETS)
def test_check_mode_writes_nothing_and_hides_secrets(tmp_path, name, settings, secret_key):
    path = fixture(tmp_path, name)
    before = snapshot(path)
    old_secret = {"phalcon3_config.php": "Old-pw-3141", "phalcon5_config.php": "Ch4nge-me!", "app.env": "s3cr3t pass",
                  "config.ini": "Old-pw-ini", "config.json": "Old-pw-json", "config.yml": "Old-pw-yml"}[name]
    res = run(tmp_path, "app_connection", dict(path=str(path), settings=settings, secrets={secret_key: NEW_SECRET}),
              check=True, diff=True)
    assert res["changed"] is True, res
    assert snapshot(path) == before
    assert sorted(c["key"] for c in res["changes"]) == sorted([*list(settings), secret_key])
    assert "10.0.10.5" in res["diff"][0]["prepared"]
    assert NEW_SECRET not in res["_stdout"]
    assert old_secret not in res["_stdout"]
    assert not [f for f in os.listdir(str(tmp_path)) if f.startswith(".tiersplit-")]


@pytest.mark.parametrize("name,settings,secret_key", SETS)
def test_apply_keeps_owner_mode_and_is_idempotent(tmp_path, name, settings, secret_key):
    path = fixture(tmp_path, name)
    os.chown(str(path), 65534, 65534)
    os.chmod(str(path), 0o640)
    original = path.read_bytes()
    args = dict(path=str(path), settings=settings, secrets={secret_key: NEW_SECRET}, backup=True)
    res = run(tmp_path, "app_connection", args)
    assert res["changed"] is True and not res.get("failed"), res
    st = os.stat(str(path))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    text = path.read_text()
    assert "10.0.10.5" in text and NEW_SECRET in text
    assert NEW_SECRET not in res["_stdout"]
    backups = res["backup_files"]
    with open(backups[0], "rb") as f:
        assert len(backups) == 1 and f.read() == original
    again = run(tmp_path, "app_connection", args)
    assert again["changed"] is False and again["changes"] == []
    assert path.read_text() == text


def test_non_literal_fails_with_the_env_key_and_changes_nothing(tmp_path):
    path = fixture(tmp_path, "vokuro_config.php")
    before = snapshot(path)
    res = run(tmp_path, "app_connection", dict(path=str(path), settings={"database.host": "10.0.10.5"}))
    assert res["failed"] is True
    assert "DB_HOST" in res["msg"] and "getenv('DB_HOST')" in res["msg"]
    assert snapshot(path) == before


def test_non_literal_goes_to_the_env_file(tmp_path):
    path = fixture(tmp_path, "vokuro_config.php")
    os.chown(str(path), 65534, 65534)
    env = fixture(tmp_path, "app.env", ".env")
    before = snapshot(path)
    args = dict(path=str(path), env_file=str(env), settings={"database.host": "10.0.10.5", "database.dbname": "shop"},
                secrets={"database.password": NEW_SECRET})
    res = run(tmp_path, "app_connection", args, diff=True)
    assert res["changed"] is True, res
    assert res["redirected"] == {"database.host": "DB_HOST", "database.dbname": "DB_NAME",
                                 "database.password": "DB_PASSWORD"}
    assert snapshot(path) == before
    text = env.read_text()
    assert "DB_HOST=10.0.10.5\n" in text and "DB_NAME='shop'\n" in text and f'DB_PASSWORD="{NEW_SECRET}"' in text
    assert "MAIL_SMTP_SERVER=smtp.example.com\n" in text
    assert NEW_SECRET not in res["_stdout"]
    assert run(tmp_path, "app_connection", args)["changed"] is False


def test_new_env_file_takes_owner_of_the_config(tmp_path):
    path = fixture(tmp_path, "vokuro_config.php")
    os.chown(str(path), 65534, 65534)
    env = tmp_path / ".env"
    res = run(tmp_path, "app_connection", dict(path=str(path), env_file=str(env), settings={"database.host": "db"}))
    assert res["changed"] is True
    st = os.stat(str(env))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    assert env.read_text() == "DB_HOST=db\n"


def test_connection_check_failure_changes_nothing(tmp_path):
    path = fixture(tmp_path, "phalcon5_config.php")
    before = snapshot(path)
    res = run(tmp_path, "app_connection", dict(
        path=str(path), settings={"database.host": "127.0.0.1"},
        connection_check=dict(host="127.0.0.1", port=1, user="app", password=NEW_SECRET, connect_timeout=2)))
    assert res["failed"] is True
    assert res["msg"].startswith("connection check failed: app could not log in to 127.0.0.1")
    assert NEW_SECRET not in res["_stdout"]
    assert snapshot(path) == before


def test_datadir_permissions_refuses_dangerous_roots(tmp_path):
    for path in ("/", "/etc", "/usr", "/var", "/root", ""):
        res = run(tmp_path, "datadir_permissions", dict(path=path, owner="nobody", group="nogroup"))
        assert res.get("failed") is True, path
        assert "refusing" in res["msg"] or "empty" in res["msg"], res["msg"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing owners needs root")
def test_datadir_permissions_check_diff_then_apply(tmp_path):
    root = tmp_path / "data"
    (root / "shop").mkdir(parents=True)
    for i in range(30):
        (root / "shop" / f"t{i:02d}.ibd").write_bytes(b"x")
    args = dict(path=str(root), owner="nobody", group="nogroup", sample_size=5)
    res = run(tmp_path, "datadir_permissions", args, check=True, diff=True)
    assert res["changed"] is True and res["counts"]["owner"] == 32 and res["counts"]["file_mode"] == 30
    assert os.stat(str(root / "shop" / "t00.ibd")).st_uid == 0
    before = res["diff"]["before"].splitlines()
    assert before[0].startswith("# 32 paths to change: owner 32, directory mode 2, file mode 30")
    assert before[-1] == "... and 27 more" and len(before) == 7
    res = run(tmp_path, "datadir_permissions", args)
    assert res["changed"] is True and os.stat(str(root / "shop" / "t00.ibd")).st_uid == 65534
    assert run(tmp_path, "datadir_permissions", args)["changed"] is False


def test_manifest_compare_without_a_server(tmp_path):
    ref = {"format": 1, "settings": {"server_id": "1"},
           "schemas": {"shop": {"tables": {"orders": {"rows": 3, "checksum": 7}, "items": {"rows": 9, "checksum": 1}}}}}
    same = run(tmp_path, "mysql_manifest", dict(mode="compare", reference=ref, current=ref))
    assert same["equal"] is True and same["differences"] == [] and same["changed"] is False
    lost = json.loads(json.dumps(ref))
    lost["schemas"]["shop"]["tables"]["items"].update(rows=8, checksum=5)
    lost["settings"]["server_id"] = "2"
    res = run(tmp_path, "mysql_manifest", dict(mode="compare", reference=ref, current=lost,
                                               ignore=["settings.server_id"]))
    assert res["equal"] is False
    assert res["tables_with_differences"] == ["shop.items"]
    paths = [d["path"] for d in res["differences"]]
    assert paths == ["schemas.shop.tables.items.checksum", "schemas.shop.tables.items.rows"]
    bad = run(tmp_path, "mysql_manifest", dict(mode="compare", reference={"x": 1}, current=ref))
    assert bad["failed"] is True and "not an inventory" in bad["msg"]


def test_manifest_without_server_fails_clearly(tmp_path):
    res = run(tmp_path, "mysql_manifest", dict(login_unix_socket=str(tmp_path / "no.sock"), connect_timeout=2))
    assert res["failed"] is True and res["msg"].startswith("cannot connect to the database server as root")
