"""Config editors over a corpus shaped like public Phalcon applications (Phalcon 3 and 5, Vokuro, INVO)."""


import json
import os
import shutil
import subprocess

import pytest
import yaml
from ansible_collections.tiersplit.maintenance.plugins.module_utils import appconfig
from hypothesis import given, settings
from hypothesis import strategies as st

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "appconfig")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


# (fixture, format, key, new value, a key that must stay as it was although it has the same name elsewhere)
CASES = [
    ("phalcon3_config.php", "php", "database.host", "10.0.10.5", "mail.host"),
    ("phalcon3_config.php", "php", "database.username", "app", None),
    ("phalcon3_config.php", "php", "database.password", "n3w'pa$$", "mail.password"),
    ("phalcon3_config.php", "php", "database.dbname", "invo_prod", None),
    ("phalcon3_config.php", "php", "beanstalk.host", "10.0.10.6", "mail.host"),
    ("phalcon3_config.php", "php", "beanstalk.port", 11301, "mail.port"),
    ("phalcon3_long_array.php", "php", "database.host", "10.0.10.5", "mail.host"),
    ("phalcon3_long_array.php", "php", "database.port", 3307, None),
    ("phalcon3_long_array.php", "php", "database.password", 'x"y$z', None),
    ("phalcon3_long_array.php", "php", "queue.beanstalk.host", "10.0.10.6", "mail.host"),
    ("phalcon5_config.php", "php", "database.host", "10.0.10.5", "mail.host"),
    ("phalcon5_config.php", "php", "database.port", 3307, "mail.port"),
    ("phalcon5_config.php", "php", "database.password", "s3cret", None),
    ("phalcon5_config.php", "php", "queue.beanstalk.host", "10.0.10.6", "mail.host"),
    ("phalcon5_config.php", "php", "queue.beanstalk.port", 11301, "mail.port"),
    ("app.env", "env", "DB_HOST", "10.0.10.5", "MAIL_SMTP_SERVER"),
    ("app.env", "env", "DB_PASSWORD", "new pass #1", "MAIL_SMTP_PASSWORD"),
    ("app.env", "env", "DB_NAME", "vokuro_prod", None),
    ("app.env", "env", "QUEUE_HOST", "10.0.10.6", None),
    ("app.env", "env", "QUEUE_PORT", 11301, None),
    ("config.ini", "ini", "database.host", "10.0.10.5", "mail.host"),
    ("config.ini", "ini", "database.password", "n3w pass", "mail.password"),
    ("config.ini", "ini", "beanstalk.host", "10.0.10.6", "mail.host"),
    ("config.json", "json", "database.host", "10.0.10.5", "mail.host"),
    ("config.json", "json", "database.port", 3307, "mail.port"),
    ("config.json", "json", "queue.beanstalk.host", "10.0.10.6", "mail.host"),
    ("config.yml", "yaml", "database.host", "10.0.10.5", "mail.host"),
    ("config.yml", "yaml", "database.password", "it's: #secret", None),
    ("config.yml", "yaml", "queue.beanstalk.host", "10.0.10.6", "mail.host"),
    ("config.yml", "yaml", "queue.beanstalk.port", 11301, "mail.port"),
]


def skeleton(fmt, text, keys):
    """The text with the values of `keys` cut out: must be identical before and after an edit."""
    scan = appconfig.SCANNERS[fmt](text)
    spans = sorted((leaf.start, leaf.end) for k in keys for leaf in scan.leaves.get(k, []))
    out = []
    pos = 0
    for s, e in spans:
        out.append(text[pos:s])
        out.append("\x00")
        pos = e
    out.append(text[pos:])
    return "".join(out)


def parsed(fmt, text):
    """What the application would read, by an independent parser where there is one."""
    if fmt == "json":
        return json.loads(text)
    if fmt == "yaml":
        return yaml.safe_load(text)
    return appconfig.SCANNERS[fmt](text).values()


def lookup(data, key):
    for part in key.split("."):
        data = data[part]
    return data


@pytest.mark.parametrize("name,fmt,key,value,neighbour", CASES)
def test_each_setting_changes_and_nothing_else(name, fmt, key, value, neighbour):
    old = load(name)
    new, changes = appconfig.set_values(fmt, old, {key: value})
    assert [c["key"] for c in changes] == [key]
    assert new != old
    # the value reads back
    assert [leaf.value for leaf in appconfig.SCANNERS[fmt](new).leaves[key]] == [appconfig.to_text(value)]
    # every other byte is the same
    assert skeleton(fmt, old, [key]) == skeleton(fmt, new, [key])
    # every other value is the same, including keys of the same name in other sections
    before = appconfig.SCANNERS[fmt](old).values()
    after = appconfig.SCANNERS[fmt](new).values()
    del before[key], after[key]
    assert before == after
    if neighbour:
        assert appconfig.SCANNERS[fmt](new).values()[neighbour] == appconfig.SCANNERS[fmt](old).values()[neighbour]
    if fmt in ("json", "yaml"):
        got = lookup(parsed(fmt, new), key)
        assert got == value
        old_data, new_data = parsed(fmt, old), parsed(fmt, new)
        parent = key.rsplit(".", 1)[0]
        lookup(new_data, parent)[key.rsplit(".", 1)[1]] = lookup(old_data, key)
        assert old_data == new_data
    # applying twice equals applying once
    again, changes2 = appconfig.set_values(fmt, new, {key: value})
    assert again == new and changes2 == []


def test_numbers_stay_numbers_and_strings_keep_their_quotes():
    new, _unused = appconfig.set_values("php", load("phalcon5_config.php"),
                                        {"database.port": "3307", "database.host": "db"})
    assert "'port'     => 3307," in new
    assert "'host'     => 'db'," in new
    new, _unused = appconfig.set_values("php", load("phalcon3_long_array.php"), {"database.host": "db"})
    assert '"host"     => "db",' in new
    new, _unused = appconfig.set_values("env", load("app.env"), {"DB_PASSWORD": "x", "DB_NAME": "y", "QUEUE_HOST": "h"})
    assert 'DB_PASSWORD="x"\n' in new and "DB_NAME='y'\n" in new
    assert "export QUEUE_HOST=h # beanstalkd\n" in new


def test_env_missing_key_is_appended():
    old = load("app.env")
    new, changes = appconfig.set_values("env", old, {"BEANSTALK_HOST": "10.0.10.6"})
    assert new == old + "BEANSTALK_HOST=10.0.10.6\n"
    assert changes[0]["action"] == "added"
    assert appconfig.set_values("env", "A=1", {"B": "two words"})[0] == 'A=1\nB="two words"\n'


def test_ini_missing_key_goes_into_its_section():
    old = load("config.ini")
    new, _unused = appconfig.set_values("ini", old, {"database.charset": "utf8mb4", "queue.host": "q"})
    scan = appconfig.scan_ini(new)
    assert scan.values()["database.charset"] == ["utf8mb4"]
    assert scan.values()["queue.host"] == ["q"]
    assert new.index("charset = utf8mb4") < new.index("[beanstalk]")


@pytest.mark.parametrize("name,fmt", [("phalcon5_config.php", "php"), ("config.json", "json"), ("config.yml", "yaml")])
def test_missing_key_in_structured_formats_fails(name, fmt):
    with pytest.raises(appconfig.ConfigError, match="not in the file"):
        appconfig.set_values(fmt, load(name), {"database.socket": "/run/mysqld/mysqld.sock"})


def test_container_key_fails():
    with pytest.raises(appconfig.ConfigError, match="nested structure"):
        appconfig.set_values("php", load("phalcon5_config.php"), {"queue.beanstalk": "x"})


@pytest.mark.parametrize("key,env", [
    ("database.host", ["DB_HOST"]),
    ("database.password", ["DB_PASSWORD"]),
    ("database.dbname", ["DB_NAME"]),
    ("mail.smtp.server", ["MAIL_SMTP_SERVER"]),
])
def test_non_literal_names_the_environment_key(key, env):
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("php", load("vokuro_config.php"), {key: "x"})
    assert e.value.env_keys == env
    assert env[0] in str(e.value)


def test_non_literal_without_env_says_so():
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("php", load("phalcon3_config.php"), {"application.baseUri": "/"})
    assert e.value.env_keys == []
    assert "by hand" in str(e.value)


def test_php_without_config_array_fails():
    with pytest.raises(appconfig.ConfigError, match="found no"):
        appconfig.set_values("php", "<?php\necho 'hi';\n", {"database.host": "x"})


def test_secrets_are_masked_everywhere():
    for name, fmt, key in (("phalcon3_config.php", "php", "database.password"), ("app.env", "env", "DB_PASSWORD"),
                           ("config.ini", "ini", "database.password"), ("config.json", "json", "database.password"),
                           ("config.yml", "yaml", "database.password")):
        old = load(name)
        new, _unused = appconfig.set_values(fmt, old, {key: "Zz9-unique-secret"})
        secret_before = appconfig.SCANNERS[fmt](old).leaves[key][0].value
        for text in (appconfig.masked(fmt, old), appconfig.masked(fmt, new)):
            assert "Zz9-unique-secret" not in text
            assert secret_before not in text
            assert appconfig.MASK in text


def test_secret_key_names():
    for key in ("database.password", "DB_PASSWORD", "DB_PASS", "mail.smtp.password", "APP_KEY", "api_key", "db.pwd"):
        assert appconfig.is_secret(key), key
    for key in ("database.host", "DB_HOST", "queue.beanstalk.port", "database.username"):
        assert not appconfig.is_secret(key), key
    assert appconfig.is_secret("database.user", ("database.user",))


def test_detect_format():
    assert appconfig.detect_format("/a/config.php") == "php"
    assert appconfig.detect_format("/a/.env") == "env"
    assert appconfig.detect_format("/a/.env.production") == "env"
    assert appconfig.detect_format("/a/config.ini") == "ini"
    assert appconfig.detect_format("/a/config.json") == "json"
    assert appconfig.detect_format("/a/config.yaml") == "yaml"
    with pytest.raises(appconfig.ConfigError):
        appconfig.detect_format("/a/config")


def test_crlf_and_bom_free_bytes_are_kept():
    old = load("app.env").replace("\n", "\r\n")
    new, _unused = appconfig.set_values("env", old, {"DB_HOST": "h"})
    assert new == old.replace("DB_HOST=localhost\r\n", "DB_HOST=h\r\n")


# ---------------------------------------------------------------------------------- properties
# Values an operator may really set: hosts, names, passwords with punctuation, spaces and unicode.
VALUES = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(list("'\"$#;=\\ ")),
                 min_size=0, max_size=30)
# Any text without a line break, '"' included, except what Phalcon's INI adapter (the default reader) casts
# to another type whatever the quoting (yes, null, 0123): that is refused, see test_appconfig_readers.py.
INI_VALUES = VALUES.filter(lambda v: isinstance(appconfig.phalcon_cast(v), str))
PROPERTY_CASES = [
    ("phalcon3_config.php", "php", "database.password", VALUES),
    ("phalcon3_long_array.php", "php", "database.password", VALUES),
    ("phalcon5_config.php", "php", "queue.beanstalk.host", VALUES),
    ("app.env", "env", "DB_PASSWORD", VALUES.filter(lambda v: "\n" not in v and "\r" not in v)),
    ("app.env", "env", "QUEUE_HOST", VALUES.filter(lambda v: "\n" not in v and "\r" not in v)),
    ("config.ini", "ini", "database.host", INI_VALUES.filter(lambda v: "\n" not in v and "\r" not in v)),
    ("config.json", "json", "database.host", VALUES),
    ("config.yml", "yaml", "database.password", VALUES.filter(lambda v: v == v.strip() and v.isprintable())),
    ("config.yml", "yaml", "queue.beanstalk.host", VALUES.filter(lambda v: v == v.strip() and v.isprintable())),
]


@pytest.mark.parametrize("name,fmt,key,strategy", PROPERTY_CASES, ids=[c[0] + ":" + c[2] for c in PROPERTY_CASES])
def test_property_roundtrip_idempotent_and_local(name, fmt, key, strategy):
    old = load(name)

    @settings(max_examples=60, deadline=None)
    @given(value=strategy, other=strategy)
    def check(value, other):
        once, _unused = appconfig.set_values(fmt, old, {key: value})
        twice, changes = appconfig.set_values(fmt, once, {key: value})
        assert twice == once and changes == []
        assert skeleton(fmt, old, [key]) == skeleton(fmt, once, [key])
        assert appconfig.SCANNERS[fmt](once).values()[key] == [value]
        if fmt in ("json", "yaml"):
            assert lookup(parsed(fmt, once), key) == value
        # setting another value first changes nothing else either (quoting may follow the last value)
        via, _unused = appconfig.set_values(fmt, appconfig.set_values(fmt, old, {key: other})[0], {key: value})
        assert skeleton(fmt, old, [key]) == skeleton(fmt, via, [key])
        assert appconfig.SCANNERS[fmt](via).values()[key] == [value]

    check()


PHP = shutil.which("php")


@pytest.mark.skipif(PHP is None, reason="php is not installed: PHP's own reading of the edited file not checked")
@pytest.mark.parametrize("name", ["phalcon3_long_array.php", "phalcon5_config.php"])
def test_php_reads_the_edited_file(tmp_path, name):
    value = "p'a\"s$s\\w#rd"
    new, _unused = appconfig.set_values("php", load(name), {"database.password": value, "database.host": "10.0.10.5"})
    src = new.replace("new \\Phalcon\\Config(", "(").replace("new Phalcon\\Config\\Config(", "(")
    src = src.replace("use Phalcon\\Config\\Config;", "")
    f = tmp_path / "c.php"
    f.write_text(src)
    out = subprocess.run([PHP, "-r",
                          "if (!class_exists('PDO')) { eval('class PDO { const ATTR_EMULATE_PREPARES = 20; }'); }"
                          f"$c = require '{f}'; echo json_encode($c['database']);"],
                         capture_output=True, text=True, check=True).stdout
    db = json.loads(out)
    assert db["password"] == value and db["host"] == "10.0.10.5"
