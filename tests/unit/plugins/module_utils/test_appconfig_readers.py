"""Values the application reads back exactly, every key that cannot be set named at once, secrets masked.

The pure tests follow each reader's rules as PHP implements them (zend_ini_scanner.l for parse_ini_file,
Phalcon\\Config\\Adapter\\Ini::cast, phpdotenv 5's parser); the tests marked `needs_php` ask PHP itself.
"""

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_collections.tiersplit.maintenance.plugins.module_utils import appconfig
from hypothesis import given, settings
from hypothesis import strategies as st

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "appconfig")
PHP = shutil.which("php")
needs_php = pytest.mark.skipif(PHP is None, reason="php is not installed on this controller: PHP's own reading "
                                                   "is not checked (the pure tests of the encodings still run)")
SCANNER_MODE = {"raw": "INI_SCANNER_RAW", "phalcon": "INI_SCANNER_RAW", "normal": "INI_SCANNER_NORMAL"}


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def php_parse_ini(text, reader):
    """What PHP's parse_ini_string reads, in the scanner mode of the reader (PHP is the oracle here)."""
    mode = SCANNER_MODE[reader]
    code = (f"echo json_encode(parse_ini_string(stream_get_contents(STDIN), true, {mode}),"
            " JSON_INVALID_UTF8_SUBSTITUTE);")
    out = subprocess.run([PHP, "-r", code], input=text, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def php_readback(fmt, text, values, reader="phalcon"):
    proc = subprocess.run([PHP, "-d", "display_errors=stderr", "-r", appconfig.READBACK_PHP],
                          input=appconfig.readback_input(fmt, text, values, reader), capture_output=True, text=True,
                          check=True)
    return appconfig.readback_result(fmt, proc.stdout, values, reader)


# ------------------------------------------------------------------- INI: quotes, ${VAR}, readers
INI = "[database]\nhost = localhost\npassword = \"Old-pw\"\nname = app ; the schema\n"
AWKWARD = ['pa"ss;word', '"quoted"', 'a;b"', '"', '""', " lead", "trail ", "${HOME}x", "$HOME", "back\\slash\\",
           'x\\"', "semi;colon", "=eq=", "#hash", "[br]", "é ü", "tab\tin", "it's", "~!^&|()", "{a}", "\\n"]


def test_ini_raw_writes_a_double_quote_and_semicolon_as_phalcon_reads_them():
    new, changes = appconfig.set_values("ini", INI, {"database.password": 'pa"ss;word'})
    assert 'password = "pa"ss;word"\n' in new
    assert [c["key"] for c in changes] == ["database.password"]
    assert appconfig.scan_ini(new, "raw").values()["database.password"] == ['pa"ss;word']


def test_ini_normal_escapes_quote_backslash_and_dollar():
    new, _unused = appconfig.set_values("ini", INI, {"database.password": 'pa"ss\\${HOME}'}, ini_reader="normal")
    assert 'password = "pa\\"ss\\\\\\${HOME}"\n' in new
    assert appconfig.scan_ini(new, "normal").values()["database.password"] == ['pa"ss\\${HOME}']


def test_ini_raw_keeps_dollar_curly_literal():
    new, _unused = appconfig.set_values("ini", INI, {"database.host": "${DB_HOST}"}, ini_reader="raw")
    assert 'host = "${DB_HOST}"\n' in new
    assert appconfig.scan_ini(new, "raw").values()["database.host"] == ["${DB_HOST}"]


def test_ini_normal_reads_dollar_curly_as_an_expression_naming_the_variable():
    text = "[database]\nhost = ${DB_HOST}\nport = \"${DB_PORT}\"\n"
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("ini", text, {"database.host": "h", "database.port": 1}, ini_reader="normal")
    assert [(i.key, i.env_keys) for i in e.value.nonliteral] == [("database.host", ["DB_HOST"]),
                                                                 ("database.port", ["DB_PORT"])]


@pytest.mark.parametrize("reader", ["raw", "normal", "phalcon"])
@pytest.mark.parametrize("value", AWKWARD)
def test_ini_awkward_values_round_trip_through_the_scanner(reader, value):
    if reader == "phalcon" and not isinstance(appconfig.phalcon_cast(value), str):
        pytest.skip("refused for Phalcon, see test_phalcon_refuses_what_its_casts_change")
    for key in ("database.password", "database.host", "database.name", "mail.host"):
        new, _unused = appconfig.set_values("ini", INI, {key: value}, ini_reader=reader)
        assert appconfig.scan_ini(new, reader).values()[key] == [value], key


@needs_php
@pytest.mark.parametrize("reader", ["raw", "normal"])
@pytest.mark.parametrize("value", AWKWARD)
def test_php_parse_ini_reads_awkward_values_exactly(reader, value):
    for key in ("database.password", "database.host", "database.name", "mail.host"):
        new, _unused = appconfig.set_values("ini", INI, {key: value}, ini_reader=reader)
        section, name = key.split(".")
        data = php_parse_ini(new, reader)
        assert data[section][name] == value, (key, new)
        assert data["database"]["name" if key != "database.name" else "host"] in ("app", "localhost")


@needs_php
@pytest.mark.parametrize("reader", ["raw", "normal"])
def test_php_reads_the_fixture_as_the_scanner_does(reader):
    text = load("config.ini")
    flat = appconfig.flatten(php_parse_ini(text, reader))
    for key, values in appconfig.scan_ini(text, reader).values().items():
        assert flat[key] == values[-1], key


INI_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00")
                   | st.sampled_from(list("'\"$#;=\\{}[]|&~!()^ \t")), max_size=20)


@needs_php
@pytest.mark.parametrize("reader", ["raw", "normal"])
def test_php_property_any_one_line_value_reads_back(reader):
    @settings(max_examples=40, deadline=None)
    @given(value=INI_TEXT)
    def check(value):
        new, _unused = appconfig.set_values("ini", INI, {"database.password": value, "database.name": value},
                                            ini_reader=reader)
        data = php_parse_ini(new, reader)
        assert data["database"]["password"] == value and data["database"]["name"] == value, new
        assert data["database"]["host"] == "localhost"
    check()


@pytest.mark.parametrize("value", ["yes", "null", "Off", "TRUE", "0123", "1.50", "+5", "1e3", " 7", "007"])
def test_phalcon_refuses_what_its_casts_change(value):
    with pytest.raises(appconfig.KeysError) as e:
        appconfig.set_values("ini", INI, {"database.password": value})
    msg = str(e.value)
    assert "database.password" in msg and "Phalcon's INI adapter" in msg and "nothing was changed" in msg
    # with the raw reader (plain parse_ini_file) the same text is a string and is written
    new, _unused = appconfig.set_values("ini", INI, {"database.password": value}, ini_reader="raw")
    assert appconfig.scan_ini(new, "raw").values()["database.password"] == [value]


@pytest.mark.parametrize("value", [3306, "3306", True, False, 0.5, "1.5", "10.0.10.5", "db-1", ""])
def test_phalcon_accepts_what_reads_back_as_given(value):
    new, _unused = appconfig.set_values("ini", INI, {"database.host": value})
    assert appconfig.scan_ini(new).values()["database.host"] == [appconfig.to_text(value)]


def test_ini_normal_writes_booleans_bare_and_reads_them_as_php_does():
    new, _unused = appconfig.set_values("ini", INI, {"database.host": True, "database.name": "yes"},
                                        ini_reader="normal")
    assert "host = true\n" in new and 'name = "yes" ; the schema\n' in new
    assert appconfig.scan_ini(new, "normal").values()["database.host"] == ["1"]
    assert appconfig.set_values("ini", new, {"database.host": True, "database.name": "yes"},
                                ini_reader="normal")[1] == []


@pytest.mark.parametrize("reader", ["raw", "normal", "phalcon"])
def test_ini_line_break_is_refused_naming_the_key(reader):
    with pytest.raises(appconfig.KeysError) as e:
        appconfig.set_values("ini", INI, {"database.password": "two\nlines", "database.host": "h"},
                             ini_reader=reader)
    msg = str(e.value)
    assert msg.startswith("database.password cannot be written") and "line break" in msg
    assert "nothing was changed" in msg and "two" not in msg


def test_ini_raw_comment_holding_a_quote_is_named():
    text = "[database]\npassword = secret ; the \"db\" one\n"
    with pytest.raises(appconfig.KeysError) as e:
        appconfig.set_values("ini", text, {"database.password": 'pa"ss;word'})
    assert "database.password" in str(e.value) and "comment" in str(e.value)
    assert "nothing was changed" in str(e.value)
    # a value that needs no quotes still goes there
    new, _unused = appconfig.set_values("ini", text, {"database.password": "plain"})
    assert new == "[database]\npassword = plain ; the \"db\" one\n"


def test_ini_raw_reads_values_as_php_does():
    scan = appconfig.scan_ini('[a]\nq = "x" ; c\nr = "a;b" ; "c"\ns = x;y\nt = "u"v"\nh = a # b\n', "raw")
    assert scan.values() == {"a.q": ["x"], "a.r": ['a;b" ; "c'], "a.s": ["x"], "a.t": ['u"v'], "a.h": ["a # b"]}


# ---------------------------------------------------------------------- .env as phpdotenv reads it
@pytest.mark.parametrize("value,written", [
    ("a b", '"a b"'), ("x$y", "'x$y'"), ("it's $5", '"it\'s \\$5"'), ("l1\nl2", '"l1\\nl2"'),
    ("cr\rlf", '"cr\\rlf"'), ("${HOME}", "'${HOME}'"), ("#x", '"#x"'), ("plain", "plain"), ("", '""'),
])
def test_env_encodings_follow_phpdotenv(value, written):
    new, _unused = appconfig.set_values("env", "A=old\n", {"A": value})
    assert new == f"A={written}\n"
    assert appconfig.scan_env(new).values()["A"] == [value]


def test_env_reads_unquoted_values_as_phpdotenv_does():
    assert appconfig.scan_env("A=b#c\nB=x # y\nC='q'#z\n").values() == {"A": ["b"], "B": ["x"], "C": ["q"]}


def test_env_nul_is_refused():
    with pytest.raises(appconfig.KeysError, match="A cannot be written: phpdotenv cannot read a NUL"):
        appconfig.set_values("env", "A=old\n", {"A": "x\x00y"})


def test_line_separators_inside_values_do_not_split_lines():
    for fmt, text, key in (("env", "A=old\nB=2\n", "A"), ("ini", INI, "database.password"),
                           ("yaml", "a:\n  b: old\nc: 2\n", "a.b")):
        new, _unused = appconfig.set_values(fmt, text, {key: "x\u2028y\x85z\x0bw"}, ini_reader="raw")
        assert appconfig.Reader(fmt, "raw").scan(new).values()[key] == ["x\u2028y\x85z\x0bw"], fmt


def test_yaml_special_plain_scalars_are_quoted():
    for value in ("1_000", "0x1F", "1:20", "2024-01-01", ".inf", "=", "Yes", "~", "3e5"):
        new, _unused = appconfig.set_values("yaml", "a: old\n", {"a": value})
        assert new != f"a: {value}\n", value
        assert yaml.safe_load(new) == {"a": value}


def test_php_control_characters_use_escapes():
    new, _unused = appconfig.set_values("php", "<?php\nreturn ['a' => 'old'];\n", {"a": "x\x01y\x00"})
    assert "'a' => \"x\\x01y\\x00\"" in new
    assert appconfig.scan_php(new).values()["a"] == ["x\x01y\x00"]


# --------------------------------------------------------------- every key named in one error
PHP_GETENV = """<?php
return [
    'database' => ['host' => getenv('DB_HOST'), 'password' => getenv('DB_PASSWORD') ?: 'Default-pw-99'],
    'beanstalk' => ['host' => getenv('BEANSTALK_HOST'), 'port' => 11300],
    'app' => ['salt' => base64_encode('x')],
];
"""


def test_every_non_literal_key_is_named_in_one_error():
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("php", PHP_GETENV, {"database.host": "10.0.10.5", "beanstalk.host": "10.0.10.6",
                                                 "beanstalk.port": 11301})
    msg = str(e.value)
    assert [i.key for i in e.value.nonliteral] == ["database.host", "beanstalk.host"]
    assert "getenv('DB_HOST')" in msg and "getenv('BEANSTALK_HOST')" in msg
    assert "DB_HOST and BEANSTALK_HOST" in msg and "nothing was changed" in msg


def test_non_literal_and_other_problems_are_named_together():
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("php", PHP_GETENV, {"database.host": "h", "app.salt": "s", "database.socket": "/x"})
    msg = str(e.value)
    assert "database.host" in msg and "app.salt" in msg and "database.socket is not in the file" in msg
    assert "app.salt read" in msg or "it reads no environment variable" in msg
    assert [key for key, _reason in e.value.problems] == ["database.socket"]


def test_several_problems_are_named_together():
    with pytest.raises(appconfig.KeysError) as e:
        appconfig.set_values("json", '{"a": {"b": 1}, "c": "x"}', {"a": "v", "d": "w", "c": "ok"})
    msg = str(e.value)
    assert msg.startswith("2 keys cannot be set: a holds a nested structure")
    assert "d is not in the file" in msg and msg.endswith("nothing was changed")


def test_default_password_in_an_expression_is_masked():
    with pytest.raises(appconfig.NonLiteralError) as e:
        appconfig.set_values("php", PHP_GETENV, {"database.password": "new"})
    assert "Default-pw-99" not in str(e.value) and "getenv('DB_PASSWORD')" in str(e.value)
    assert "Default-pw-99" not in appconfig.masked("php", PHP_GETENV)


# ----------------------------------------------------------------------------- secrets masked
@pytest.mark.parametrize("key", ["APP_CRYPT_SALT", "SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "API_KEY", "ACCESS_KEY",
                                 "application.cryptSalt", "auth_token", "mail.credentials", "secretKey", "DB_PASS",
                                 "crypt.key", "APIKEY", "stripe.apiKey", "SMTP_AUTH", "passphrase"])
def test_secret_key_names(key):
    assert appconfig.is_secret(key)


@pytest.mark.parametrize("key", ["AWS_ACCESS_KEY_ID", "DB_HOST", "publicKey", "database.username", "author",
                                 "queue.beanstalk.port", "MAIL_SMTP_SECURITY", "key_prefix", "passive"])
def test_not_secret_key_names(key):
    assert not appconfig.is_secret(key)


@pytest.mark.parametrize("text,shown", [
    ("mysql://user:pw@host/db", "mysql://user:********@host/db"),
    ("beanstalk://u:p@h", "beanstalk://u:********@h"),
    ("redis://:tok3n@cache:6379/0", "redis://:********@cache:6379/0"),
    ("DSN=mysql://u:p@ss@h/db?x=1", "DSN=mysql://u:********@h/db?x=1"),
    ("http://host:8080/path", "http://host:8080/path"),
    ("smtp://mail.example.com:465", "smtp://mail.example.com:465"),
])
def test_url_passwords_are_masked(text, shown):
    assert appconfig.mask_urls(text) == shown


# An .env with secrets of every kind, and the parts of them that must never show.
ENV = (Path(__file__).resolve().parents[2] / "fixtures" / "appconfig" / "secrets.env").read_text()
CLEAR = ["eEAfR", "django-insecure", "wJalrXUtnFEMI", "Url-pw-1", "Q-pw-2", "Old-pw-3"]


def test_diff_shows_changed_lines_only_and_masks_every_secret():
    new, changes = appconfig.set_values("env", ENV, {"DB_HOST": "10.0.10.5", "DB_PASSWORD": "New-pw-4",
                                                     "DATABASE_URL": "mysql://app:Url-pw-5@10.0.10.5/app"})
    diff = appconfig.masked_diff("env", ENV, new, changed=[c["key"] for c in changes], before_header="a",
                                 after_header="a")
    for clear in [*CLEAR, "New-pw-4", "Url-pw-5"]:
        assert clear not in diff, clear
    assert "-DB_HOST=localhost\n" in diff and "+DB_HOST=10.0.10.5\n" in diff
    assert '-DB_PASSWORD="********"\n' in diff and '+DB_PASSWORD="******** (changed)"\n' in diff
    assert "+DATABASE_URL=mysql://app:********@10.0.10.5/app\n" in diff
    assert "# application" not in diff and "MAIL_FROM_EMAIL" not in diff
    assert len(diff.splitlines()) < 16


def test_public_values_hide_secrets_and_url_passwords():
    assert appconfig.public_value("DATABASE_URL", "mysql://a:b@c/d") == "mysql://a:********@c/d"
    assert appconfig.public_value("APP_CRYPT_SALT", "x") == appconfig.MASK
    assert appconfig.public_value("user", "x", ("user",)) == appconfig.MASK
    assert sorted(appconfig.sensitive_values({"DB_PASSWORD": "p", "DB_HOST": "h", "U": "redis://:t@h",
                                              "EMPTY_SECRET": ""})) == ["p", "redis://:t@h"]


def test_error_messages_hold_no_value():
    with pytest.raises(appconfig.ConfigError) as e:
        appconfig.verify("env", "A=1\nB=2\n", "A=1\nB=Secret-9\n", {})
    assert "Secret-9" not in str(e.value) and "B" in str(e.value)


# ---------------------------------------------------------------------------- read-back with PHP
def fake_output(values):
    enc = dict((k, [["string", base64.b64encode(v.encode()).decode()]]) for k, v in values.items())
    return json.dumps({"values": enc, "unavailable": None, "error": None})


def test_readback_result_names_the_keys_read_otherwise():
    values = {"database.host": "10.0.10.5", "database.port": 3306, "database.password": "p"}
    out = fake_output({"database.host": "10.0.10.5", "database.port": "3306", "database.password": "other"})
    assert appconfig.readback_result("ini", out, values) == (["database.password"], None)
    assert appconfig.readback_result("ini", fake_output({}), {"a": "b"}) == (["a"], None)
    unavailable = json.dumps({"values": {}, "unavailable": "the PHP yaml extension is not loaded", "error": None})
    assert appconfig.readback_result("yaml", unavailable, {"a": "b"}) == ([], "the PHP yaml extension is not loaded")
    with pytest.raises(appconfig.ConfigError, match="PHP cannot read the new content: parse_ini_string"):
        appconfig.readback_result("ini", json.dumps({"error": "parse_ini_string: syntax error"}), {"a": "b"})


@needs_php
@pytest.mark.parametrize("reader", ["phalcon", "raw", "normal"])
def test_php_readback_of_ini(reader):
    values = {"database.password": 'pa"ss;word', "database.port": 3307, "database.host": "${HOME}"}
    new, _unused = appconfig.set_values("ini", load("config.ini"), values, ini_reader=reader)
    assert php_readback("ini", new, values, reader) == ([], None)
    # a value the file does not hold is reported
    assert php_readback("ini", new, dict(values, **{"mail.host": "elsewhere"}), reader) == (["mail.host"], None)


@needs_php
def test_php_readback_applies_phalcon_casts():
    text = "[a]\nflag = yes\nn = 0123\ns = text\n"
    assert php_readback("ini", text, {"a.flag": True, "a.n": 123, "a.s": "text"}, "phalcon") == ([], None)
    assert php_readback("ini", text, {"a.flag": "yes", "a.n": "0123"}, "raw") == ([], None)
    assert php_readback("ini", text, {"a.flag": "yes", "a.n": "0123"}, "phalcon") == (["a.flag", "a.n"], None)


@needs_php
@pytest.mark.parametrize("name,fmt,values", [
    ("config.json", "json", {"database.host": 'a"b\\c\u2028', "database.port": 3307}),
    ("phalcon5_config.php", "php", {"database.password": "p'a\"s$s\\w\x01rd", "database.port": 3307,
                                    "application.debug": False}),
    ("phalcon3_long_array.php", "php", {"database.password": 'x"y$z{$a}\\n'}),
])
def test_php_readback_of_json_and_php(name, fmt, values):
    new, _unused = appconfig.set_values(fmt, load(name), values)
    assert php_readback(fmt, new, values) == ([], None)


@needs_php
def test_php_readback_without_a_reader_says_why():
    wrong, unavailable = php_readback("env", "A=b\n", {"A": "b"})
    assert wrong == [] and "phpdotenv" in unavailable
