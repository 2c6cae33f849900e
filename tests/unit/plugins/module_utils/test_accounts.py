"""Accounts kept across a copy: export of the named users, restore of the missing ones only, the file's mode."""

import os
import stat

from ansible_collections.tiersplit.maintenance.plugins.module_utils import accounts


class Server:
    """A cursor over a tiny in-memory account table, answering the statements accounts.py sends."""

    def __init__(self, users):
        self.users = dict(users)  # (user, host) -> grants
        self.executed = []
        self._rows = []

    def execute(self, sql):
        self.executed.append(sql)
        if sql == "SELECT user, host FROM mysql.user":
            self._rows = [(u.encode(), h) for u, h in self.users]  # bytes as some servers return
        elif sql.startswith("SHOW CREATE USER "):
            self._rows = [(f"CREATE USER {sql[17:]} IDENTIFIED BY PASSWORD '*HASH'",)]
        elif sql.startswith("SHOW GRANTS FOR "):
            key = self._key(sql[16:])
            self._rows = [(g,) for g in self.users[key]]
        elif sql.startswith("CREATE USER "):
            self.users[self._key(sql[12:].split(" IDENTIFIED")[0])] = []
        elif sql.startswith("GRANT "):
            key = self._key(sql.split(" TO ", 1)[1])
            self.users[key].append(sql)
        else:
            raise AssertionError(sql)

    @staticmethod
    def _key(account):
        user, host = account.split("@")
        return user.strip("'"), host.strip("'")

    def fetchone(self):
        return self._rows[0]

    def fetchall(self):
        return list(self._rows)


def test_quote_account_escapes_quotes_and_backslashes():
    assert accounts.quote_account("o'brien", "10.0.0.%") == "'o\\'brien'@'10.0.0.%'"
    assert accounts.quote_account("a\\b", "h") == "'a\\\\b'@'h'"


def test_export_takes_every_host_of_the_named_users_only():
    target = Server({("shop", "10.0.0.2"): ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.2'"],
                     ("shop", "10.0.0.3"): ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.3'"],
                     ("root", "localhost"): ["GRANT ALL ON *.* TO 'root'@'localhost'"]})
    out = accounts.export(target, ["shop", "absent"])
    assert [(a["user"], a["host"]) for a in out] == [("shop", "10.0.0.2"), ("shop", "10.0.0.3")]
    assert out[0]["create"].startswith("CREATE USER 'shop'@'10.0.0.2'")
    assert out[1]["grants"] == ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.3'"]


def test_restore_creates_only_what_the_copy_lacks():
    target = Server({("shop", "10.0.0.2"): ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.2'"],
                     ("shop", "localhost"): ["GRANT SELECT ON shop.* TO 'shop'@'localhost'"]})
    exported = accounts.export(target, ["shop"])
    # The copy: the source's own accounts; shop@localhost exists there with other grants.
    copy = Server({("shop", "localhost"): ["GRANT ALL ON shop.* TO 'shop'@'localhost'"],
                   ("root", "localhost"): []})
    made = accounts.restore(copy, exported)
    assert made == ["'shop'@'10.0.0.2'"]
    assert copy.users[("shop", "10.0.0.2")] == ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.2'"]
    # The source's own account is left as the source has it.
    assert copy.users[("shop", "localhost")] == ["GRANT ALL ON shop.* TO 'shop'@'localhost'"]
    # A second restore has nothing left to create.
    assert accounts.restore(copy, exported) == []


def test_write_is_root_only_and_reports_change(tmp_path):
    path = str(tmp_path / "state" / "kept.json")
    data = [{"user": "shop", "host": "h", "create": "CREATE USER ...", "grants": []}]
    assert accounts.write(path, data) is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert accounts.write(path, data) is False
    assert accounts.read(path) == data
    os.chmod(path, 0o644)
    assert accounts.write(path, data) is False
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_fenced_account_comes_back_unlocked():
    """rollback.yml locks the rolled-back application's account on the copy it leaves; kept, it must log in again."""

    class Locked(Server):
        def execute(self, sql):
            super().execute(sql)
            if sql.startswith("SHOW CREATE USER "):
                self._rows = [(self._rows[0][0] + " ACCOUNT LOCK",)]

    target = Locked({("shop", "10.0.0.2"): ["GRANT ALL ON shop.* TO 'shop'@'10.0.0.2'"]})
    out = accounts.export(target, ["shop"])
    assert "LOCK" not in out[0]["create"]
    assert out[0]["create"] == "CREATE USER 'shop'@'10.0.0.2' IDENTIFIED BY PASSWORD '*HASH'"
