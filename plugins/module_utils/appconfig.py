# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Byte-preserving editors for the configuration formats PHP applications use.

Every format is handled the same way: ``scan(text)`` finds the leaf values (key path -> span in the
text), ``set_values`` replaces only the spans of the requested keys and returns the new text plus a
list of changes. Nothing else in the text is touched: comments, order, quoting, whitespace and
unrelated sections stay byte for byte.

A value is written so that the application reads it back exactly. Each scanner reads a value the way
the application's reader does (``Reader``): phpdotenv 5 for ``.env`` files; PHP's ``parse_ini_file``
with ``INI_SCANNER_RAW`` (as Phalcon's INI adapter calls it, followed by its casts) or
``INI_SCANNER_NORMAL`` for INI files; PHP's own string literals; JSON; YAML. Every encoding written is
read back with that scanner before it is accepted, and a value that no encoding carries is refused
with the key and the reason. ``READBACK_PHP`` reads the new text back with PHP itself where PHP is
installed. Every key that cannot be set is named in one error; nothing is changed then.

Values of secret keys and passwords in URLs are masked in diffs and messages (``masked_diff``,
``mask_urls``); error messages never hold a value.

Pure Python, no Ansible imports: unit-tested directly.
"""

import base64
import difflib
import json
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

MASK = "********"
MASK_CHANGED = "******** (changed)"
FORMATS = ("env", "php", "ini", "json", "yaml")

# How the application reads an INI file. Phalcon's Phalcon\Config\Adapter\Ini (3.x to 5.x) calls
# parse_ini_file(path, true, INI_SCANNER_RAW) unless told otherwise, then casts every value.
INI_READERS = ("phalcon", "raw", "normal")
DEFAULT_INI_READER = "phalcon"
READER_NAMES = {
    "env": "phpdotenv 5",
    "php": "PHP's string and number literals",
    "json": "json_decode",
    "yaml": "yaml_parse",
    "ini:phalcon": "Phalcon's INI adapter (parse_ini_file with INI_SCANNER_RAW, then its casts)",
    "ini:raw": "parse_ini_file with INI_SCANNER_RAW",
    "ini:normal": "parse_ini_file with INI_SCANNER_NORMAL",
}


# --------------------------------------------------------------------------------------------
# Errors: every key that cannot be set is named at once, and no error message holds a value
# --------------------------------------------------------------------------------------------
class ConfigError(Exception):
    """A request that cannot be carried out safely; nothing was changed."""


class Unencodable(ConfigError):
    """No encoding carries the value for this format and reader. The message is the reason, without the value."""


class NonLiteral:
    """A key whose value in the file is an expression, and the environment variables the expression reads."""

    __slots__ = ("env_keys", "expression", "key")

    def __init__(self, key: str, expression: str, env_keys: Sequence[str]):
        self.key = key
        self.expression = expression
        self.env_keys = list(env_keys)

    def __repr__(self):
        return f"NonLiteral({self.key!r}, {self.env_keys!r})"


class KeysError(ConfigError):
    """Some requested keys cannot be set. Every one of them is named; nothing was changed.

    ``nonliteral`` lists the keys holding expressions (NonLiteral), ``problems`` the other keys and why
    (key, reason); a reason reads after the key ("is not in the file; ...").
    """

    def __init__(self, nonliteral: Sequence[NonLiteral] = (), problems: Sequence[Tuple[str, str]] = ()):
        self.nonliteral = list(nonliteral)
        self.problems = list(problems)
        super().__init__(_keys_message(self.nonliteral, self.problems))


class NonLiteralError(KeysError):
    """Some values in the file are expressions (each names the environment variables it reads)."""

    @property
    def key(self) -> str:
        return self.nonliteral[0].key

    @property
    def expression(self) -> str:
        return self.nonliteral[0].expression

    @property
    def env_keys(self) -> List[str]:
        return self.nonliteral[0].env_keys


def _and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _keys_message(nonliteral: List[NonLiteral], problems: List[Tuple[str, str]]) -> str:
    parts = []
    if len(nonliteral) == 1:
        parts.append(f"{nonliteral[0].key} is not a literal value in the file but the expression "
                     f"`{nonliteral[0].expression}`")
    elif nonliteral:
        parts.append("{} keys are not literal values in the file but expressions: {}".format(
            len(nonliteral), ", ".join(f"{i.key} is `{i.expression}`" for i in nonliteral)))
    parts.extend(f"{key} {reason}" for key, reason in problems)
    if len(parts) > 1 and not nonliteral:
        text = f"{len(parts)} keys cannot be set: " + "; ".join(parts) + "; nothing was changed"
    else:
        text = "; ".join(parts) + "; nothing was changed"
    hints = []
    env = [" or ".join(i.env_keys) for i in nonliteral if i.env_keys]
    if env:
        hints.append("set the environment variable{} {} instead (for example in the .env file the application "
                     "reads, option env_file)".format("s" if len(env) > 1 else "", _and(env)))
    manual = [i.key for i in nonliteral if not i.env_keys]
    if len(manual) == 1 and len(nonliteral) == 1:
        hints.append("it reads no environment variable this module recognises; change the file by hand")
    elif manual:
        hints.append(f"{_and(manual)} read no environment variable this module recognises; change them by hand")
    return text + (": " + "; ".join(hints) if hints else "")


# --------------------------------------------------------------------------------------------
# Secrets: key names and credentials in URLs
# --------------------------------------------------------------------------------------------
# Words that make a key secret wherever they appear in its last part (DB_PASSWORD, DB_PASS, cryptSalt,
# APP_CRYPT_SALT, AWS_SECRET_ACCESS_KEY, SECRET_KEY, auth_token, credentials). "key" makes it secret at
# the end (APP_KEY, API_KEY, apiKey, private_key, crypt.key), except a public key.
_SECRET_WORDS = frozenset((
    "password", "passwd", "pass", "pwd", "passphrase", "secret", "secrets", "salt", "token", "tokens",
    "credential", "credentials", "auth", "apikey", "appkey", "secretkey", "accesskey", "privatekey"))
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# scheme://user:password@host; the password runs to the last @ before the path.
URL_CREDENTIALS = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@'\"]*:)(?P<password>[^\s'\"/?#]*)(?=@)")


def _words(name: str) -> List[str]:
    return [w.lower() for w in _WORD.findall(name)]


def is_secret(key: str, extra: Iterable[str] = ()) -> bool:
    """True for the keys whose values are never shown (the last part of the key names a secret)."""
    if key in extra:
        return True
    words = _words(key.rsplit(".", 1)[-1])
    if _SECRET_WORDS.intersection(words):
        return True
    return bool(words) and words[-1] == "key" and (len(words) == 1 or words[-2] != "public")


def mask_urls(text: str) -> str:
    """The text with the password of every scheme://user:password@host replaced by the mask."""
    return URL_CREDENTIALS.sub(lambda m: m.group("head") + MASK, text)


def sensitive_values(values: Dict[str, Any], secret_keys: Iterable[str] = ()) -> List[str]:
    """The texts to hide from any output: values of secret keys and values holding credentials in a URL."""
    out = []
    for key, value in values.items():
        if value is None or isinstance(value, (dict, list)):
            continue
        text = to_text(value)
        if text and (is_secret(key, secret_keys) or URL_CREDENTIALS.search(text)):
            out.append(text)
    return out


def public_value(key: str, value: Any, secret_keys: Iterable[str] = ()) -> Any:
    """The value as it may be shown: the mask for a secret key, passwords in URLs masked."""
    if value is None:
        return None
    if is_secret(key, secret_keys):
        return MASK
    if isinstance(value, str):
        return mask_urls(value)
    return value


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _mask_literals(expression: str, keep: Sequence[str]) -> str:
    """An expression of a secret key with its string literals masked (a default password), names kept."""
    def repl(m):
        lit = m.group(0)
        return lit if lit[1:-1] in keep else lit[0] + MASK + lit[0]
    return mask_urls(_QUOTED.sub(repl, expression))


# --------------------------------------------------------------------------------------------
# Leaves and scans
# --------------------------------------------------------------------------------------------
class Leaf:
    """One literal value in a file: text[start:end] is its raw form, value what the reader reads."""

    __slots__ = ("end", "key", "kind", "quote", "raw", "start", "value")

    def __init__(self, key, start, end, raw, value, kind="string", quote=""):
        self.key = key
        self.start = start
        self.end = end
        self.raw = raw
        self.value = value
        self.kind = kind  # string, number, bool, null, bare
        self.quote = quote

    def __repr__(self):
        return f"Leaf({self.key!r}, {self.raw!r})"


class Scan:
    def __init__(self):
        self.leaves: Dict[str, List[Leaf]] = {}
        self.nonliteral: Dict[str, Tuple[str, List[str]]] = {}  # key -> (expression, [env keys])
        self.nonliteral_spans: Dict[str, Tuple[int, int]] = {}  # key -> span of the expression
        self.containers = set()  # keys that hold nested structures
        self.sections: Dict[str, int] = {}  # INI: section -> end offset of its last key line (or header)

    def add(self, leaf):
        self.leaves.setdefault(leaf.key, []).append(leaf)

    def values(self):
        return dict((k, [leaf.value for leaf in v]) for k, v in self.leaves.items())


def to_text(value) -> str:
    """The text form of a requested value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_number(text):
    return bool(re.match(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$", text))


def _lines(text: str) -> List[str]:
    """The lines of text with their ends. Only \\n, \\r\\n and \\r end a line, as for PHP's INI scanner,
    phpdotenv and YAML (str.splitlines also splits at \\x0b, \\x0c, \\x1c-\\x1e, \\x85, \\u2028, \\u2029)."""
    return [line for line in re.split(r"(?<=\n)|(?<=\r)(?!\n)", text) if line]


# --------------------------------------------------------------------------------------------
# .env, as phpdotenv 5 reads it
# --------------------------------------------------------------------------------------------
_ENV_LINE = re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?P<rest>.*)$")
# Escapes phpdotenv 5 reads in double quotes; any other escape is an error there.
_ENV_ESCAPES = {'"': '"', "\\": "\\", "$": "$", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _env_value(rest, base):
    """(start, end, raw, value, quote) of the value in `rest`; offsets are relative to base."""
    if rest[:1] in ("'", '"'):
        q = rest[0]
        i = 1
        out = []
        while i < len(rest):
            c = rest[i]
            if q == '"' and c == "\\" and i + 1 < len(rest):
                nxt = rest[i + 1]
                out.append(_ENV_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            if c == q:
                raw = rest[:i + 1]
                return base, base + len(raw), raw, "".join(out), q
            out.append(c)
            i += 1
        raise ConfigError("unterminated quoted value in a .env line")
    # Unquoted: phpdotenv ends the value at whitespace or '#'. Text after whitespace that is not a
    # comment is an error for phpdotenv; such a value is taken whole, as older readers did.
    m = re.match(r"^([^#]*?)[ \t]*(?:#.*)?$", rest)
    raw = m.group(1) if m else rest
    if raw.startswith("#"):
        raw = ""
    return base, base + len(raw), raw, raw, ""


def scan_env(text):
    scan = Scan()
    pos = 0
    for line in _lines(text):
        body = line.rstrip("\r\n")
        m = _ENV_LINE.match(body)
        if m and not body.lstrip().startswith("#"):
            start = pos + m.start("rest")
            s, e, raw, value, q = _env_value(m.group("rest"), start)
            scan.add(Leaf(m.group("key"), s, e, raw, value, "string", q))
        pos += len(line)
    return scan


def _env_double(text):
    out = []
    for c in text:
        out.append({"\\": "\\\\", '"': '\\"', "$": "\\$", "\n": "\\n", "\r": "\\r", "\f": "\\f", "\v": "\\v"}
                   .get(c, c))
    return '"' + "".join(out) + '"'


def env_encodings(leaf, value) -> List[str]:
    """The ways to write value in a .env file that phpdotenv reads back exactly, the preferred first.

    Bare values end at whitespace or '#' and expand ${VAR}; single quotes are literal but cannot hold a
    quote or a line break; double quotes expand ${VAR} and read the escapes \\" \\\\ \\$ \\n \\r \\t \\f \\v.
    """
    text = to_text(value)
    if "\x00" in text:
        raise Unencodable("cannot be written: phpdotenv cannot read a NUL character")
    double = _env_double(text)
    single = None if re.search(r"['\r\n]", text) else "'" + text + "'"
    bare = text if text and not re.search(r"[\s#'\"\\$`]", text) and text.isprintable() else None
    q = leaf.quote if leaf is not None else ""
    if q == "'":
        order = [single, double]
    elif q == '"':
        order = [double]
    elif bare is not None:
        order = [bare]
    elif re.search(r"[\\\"$`]", text):
        order = [single, double]
    else:
        order = [double]
    return [c for c in order if c is not None]


def render_env(leaf, value):
    return env_encodings(leaf, value)[0]


def append_env(text, key, value):
    line = f"{key}={render_env(None, value)}"
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line + "\n"


# --------------------------------------------------------------------------------------------
# INI, as PHP's parse_ini_file reads it (INI_SCANNER_RAW or INI_SCANNER_NORMAL)
# --------------------------------------------------------------------------------------------
_INI_SECTION = re.compile(r"^[ \t]*\[(?P<name>[^\]]*)\][ \t]*(?:[;#].*)?$")
_INI_KEY = re.compile(r"^(?P<lead>[ \t]*)(?P<key>[^=;#\[\s][^=]*?)[ \t]*=[ \t]*(?P<rest>.*)$")
# INI_SCANNER_NORMAL: these words are booleans and null, whatever their case
_INI_WORDS = {"true": "1", "on": "1", "yes": "1", "false": "", "off": "", "no": "", "none": "", "null": ""}
# ... and these make a bare value an expression: operators, quotes, ${VAR}
_INI_NORMAL_EXPR = re.compile(r"[&|^~!()\"']|\$\{")
_INI_PLAIN = re.compile(r"[A-Za-z0-9_./@:+,-]+\Z")


class _IniExpression(Exception):
    pass


def _ini_raw_value(rest: str) -> Tuple[int, str, str]:
    """(length of the value in rest, value, quote) as INI_SCANNER_RAW reads `key = <rest>` (rest holds no
    line end). As zend_ini_scanner.l: the value runs to the end of the line; a ';' starts a comment,
    unless the value starts with '"' and a '"' follows the ';'; trailing blanks go; a '"' at both ends
    goes. No escape sequence, no ${VAR}: what remains is the value."""
    if not rest or rest[0] == ";":
        return 0, "", ""
    cut = None
    for i, c in enumerate(rest):
        if c == ";":
            if cut is None:
                cut = i
        elif c == '"' and rest[0] == '"':
            cut = None
    raw = (rest if cut is None else rest[:cut]).rstrip(" \t\r")
    if len(raw) > 1 and raw[0] == '"' and raw[-1] == '"':
        return len(raw), raw[1:-1], '"'
    return len(raw), raw, ""


def _ini_normal_value(rest: str) -> Tuple[int, str, str]:
    """(length of the value in rest, value, quote) as INI_SCANNER_NORMAL reads `key = <rest>`.

    Raises _IniExpression for what PHP computes (${VAR}, constants with operators, concatenations, a
    quoted string spanning lines). In double quotes PHP reads \\" \\\\ \\$ as the character and keeps any
    other backslash; a \\" at the end of the line ends the string with the backslash kept (Windows paths).
    Single quotes are literal. Bare words true/on/yes are "1", false/off/no/none/null are "".
    """
    if not rest or rest[0] == ";":
        return 0, "", ""
    n = len(rest)
    if rest[0] in ("'", '"'):
        q = rest[0]
        out = []
        i = 1
        while True:
            if i >= n:
                raise _IniExpression("a quoted value spanning lines")
            c = rest[i]
            if c == q:
                break
            if q == '"' and c == "\\" and i + 1 < n:
                nxt = rest[i + 1]
                if nxt == '"' and i + 2 >= n:
                    out.append("\\")
                    i += 1
                    break
                out.append(nxt if nxt in '"\\$' else c + nxt)
                i += 2
                continue
            if q == '"' and c == "$" and rest[i + 1:i + 2] == "{":
                raise _IniExpression("${...}")
            out.append(c)
            i += 1
        tail = rest[i + 1:].lstrip(" \t\r")
        if tail and not tail.startswith(";"):
            raise _IniExpression("a concatenation")
        return i + 1, "".join(out), q
    raw = re.match(r"[^;]*", rest).group(0).rstrip(" \t\r")
    if _INI_NORMAL_EXPR.search(raw):
        raise _IniExpression("an expression")
    return len(raw), _INI_WORDS.get(raw.lower(), raw), ""


def scan_ini(text, reader=DEFAULT_INI_READER):
    read = _ini_normal_value if reader == "normal" else _ini_raw_value
    scan = Scan()
    section = None
    pos = 0
    for line in _lines(text):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        m = _INI_SECTION.match(body)
        if m:
            section = m.group("name").strip()
            scan.sections[section] = pos + len(line)
            scan.containers.add(section)
        elif stripped and stripped[0] not in ";#":
            k = _INI_KEY.match(body)
            if k:
                key = k.group("key").strip()
                full = f"{section}.{key}" if section is not None else key
                rest = k.group("rest")
                base = pos + k.start("rest")
                try:
                    length, value, q = read(rest)
                except _IniExpression:
                    expr = rest.rstrip(" \t\r")
                    scan.nonliteral[full] = (expr, _unique(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", expr)))
                    scan.nonliteral_spans[full] = (base, base + len(expr))
                else:
                    scan.add(Leaf(full, base, base + length, rest[:length], value, "string", q))
                if section is not None:
                    scan.sections[section] = pos + len(line)
        pos += len(line)
    return scan


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def ini_encodings(leaf, value, reader=DEFAULT_INI_READER) -> List[str]:
    """The ways to write value in an INI file that the reader gives back exactly, the preferred first."""
    text = to_text(value)
    if reader == "normal" and isinstance(value, bool):
        return ["true" if value else "false"]
    if "\x00" in text:
        raise Unencodable("cannot be written: an INI value cannot hold a NUL character")
    if "\n" in text or "\r" in text:
        raise Unencodable("cannot be written: an INI value cannot hold a line break here (INI_SCANNER_RAW ends "
                          "a value at the end of its line, and this module writes INI values on one line)")
    q = leaf.quote if leaf is not None else ""
    plain = bool(_INI_PLAIN.match(text))
    if reader == "normal":
        # Bare: no boolean word, nothing that could name a PHP constant (E_ALL); double quotes: \" \\ \$.
        plain = plain and text.lower() not in _INI_WORDS and not re.match(r"[A-Z_][A-Z0-9_]*\Z", text)
        double = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'
        single = None if "'" in text else "'" + text + "'"
        if q == "'":
            order = [single, double]
        elif not q and plain:
            order = [text, double]
        else:
            order = [double, single]
    else:
        # RAW: no escape exists; '"' + text + '"' carries any text without a line break, as the last '"'
        # follows every ';' of the text. Bare: no ';', no blank at either end, no '"' to start.
        bare = text if (";" not in text and text == text.strip(" \t") and not text.startswith('"')) else None
        quoted = '"' + text + '"'
        order = [text, quoted] if (not q and plain) else [quoted, bare]
    return [c for c in order if c is not None]


def render_ini(leaf, value, reader=DEFAULT_INI_READER):
    return ini_encodings(leaf, value, reader)[0]


def insert_ini(text, scan, key, value, reader=DEFAULT_INI_READER):
    if "." not in key:
        raise ConfigError(f"INI key {key} must be written as section.key")
    section, name = key.split(".", 1)
    line = f"{name} = {render_ini(None, value, reader)}\n"
    if section in scan.sections:
        at = scan.sections[section]
        before = text[:at]
        if before and not before.endswith("\n"):
            line = "\n" + line
        return before + line + text[at:]
    if text and not text.endswith("\n"):
        text += "\n"
    sep = "\n" if text.strip() else ""
    return text + sep + f"[{section}]\n" + line


# Phalcon\Config\Adapter\Ini::cast, applied to every value parse_ini_file gave
_PHP_NUMERIC = re.compile(r"[ \t\n\r\v\f]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\r\v\f]*\Z")


def phalcon_cast(text: str) -> Any:
    """What Phalcon's INI adapter makes of a value read by parse_ini_file: true/yes/on and false/no/off
    (any case) are booleans, null is null, numeric text is a float when it holds a '.', else an int."""
    low = text.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low == "null":
        return None
    if _PHP_NUMERIC.match(text):
        if "." in text:
            return float(text)
        try:
            return int(text.strip(" \t\n\r\v\f"))
        except ValueError:
            pass
        try:
            return int(float(text))
        except OverflowError:
            return float(text)
    return text


def _php_number_text(number) -> Optional[str]:
    """PHP's (string) of an int or float, or None where it is not predictable here (exponents)."""
    if isinstance(number, int):
        return str(number)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = repr(number)
    return None if "e" in text or "inf" in text or "nan" in text else text


def _phalcon_problem(value, text) -> Optional[str]:
    cast = phalcon_cast(text)
    if isinstance(cast, str):
        return None
    if isinstance(value, bool):
        return None if cast is value else "cannot be written for Phalcon's INI adapter, which reads it otherwise"
    if isinstance(value, (int, float)) and not isinstance(cast, bool) and cast is not None and cast == value:
        return None
    if isinstance(cast, bool) or cast is None:
        return ("cannot be written for Phalcon's INI adapter: it reads this word as {} whatever the quoting "
                "(parse_ini_file with INI_SCANNER_RAW, then its casts); pass a boolean, or set ini_reader to how "
                "the application reads the file".format("null" if cast is None else "a boolean"))
    if isinstance(value, str) and _php_number_text(cast) == text:
        return None
    return ("cannot be written for Phalcon's INI adapter: it reads numeric text as a number whatever the quoting "
            "(parse_ini_file with INI_SCANNER_RAW, then its casts), and this number does not read back as the same "
            "text (a sign, leading or trailing zeros, an exponent or blanks)")


# --------------------------------------------------------------------------------------------
# JSON (a small tokenizer that keeps offsets)
# --------------------------------------------------------------------------------------------
_JSON_WS = re.compile(r"[ \t\r\n]*")
_JSON_NUM = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_JSON_STR = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"')


def scan_json(text):
    scan = Scan()
    pos = _parse_json_value(text, _JSON_WS.match(text, 0).end(), "", scan)
    pos = _JSON_WS.match(text, pos).end()
    if pos != len(text):
        raise ConfigError(f"trailing data in JSON at offset {pos}")
    return scan


def _parse_json_value(text, pos, key, scan):
    c = text[pos:pos + 1]
    if c == "{":
        if key:
            scan.containers.add(key)
        pos = _JSON_WS.match(text, pos + 1).end()
        if text[pos:pos + 1] == "}":
            return pos + 1
        while True:
            m = _JSON_STR.match(text, pos)
            if not m:
                raise ConfigError(f"JSON: expected a key at offset {pos}")
            name = json.loads(m.group(0))
            pos = _JSON_WS.match(text, m.end()).end()
            if text[pos:pos + 1] != ":":
                raise ConfigError(f"JSON: expected ':' at offset {pos}")
            pos = _JSON_WS.match(text, pos + 1).end()
            pos = _parse_json_value(text, pos, f"{key}.{name}" if key else name, scan)
            pos = _JSON_WS.match(text, pos).end()
            if text[pos:pos + 1] == ",":
                pos = _JSON_WS.match(text, pos + 1).end()
                continue
            if text[pos:pos + 1] == "}":
                return pos + 1
            raise ConfigError(f"JSON: expected ',' or '}}' at offset {pos}")
    if c == "[":
        if key:
            scan.containers.add(key)
        pos = _JSON_WS.match(text, pos + 1).end()
        if text[pos:pos + 1] == "]":
            return pos + 1
        i = 0
        while True:
            pos = _parse_json_value(text, pos, f"{key}[{i}]", scan)
            i += 1
            pos = _JSON_WS.match(text, pos).end()
            if text[pos:pos + 1] == ",":
                pos = _JSON_WS.match(text, pos + 1).end()
                continue
            if text[pos:pos + 1] == "]":
                return pos + 1
            raise ConfigError(f"JSON: expected ',' or ']' at offset {pos}")
    if c == '"':
        m = _JSON_STR.match(text, pos)
        if not m:
            raise ConfigError(f"JSON: bad string at offset {pos}")
        scan.add(Leaf(key, pos, m.end(), m.group(0), json.loads(m.group(0)), "string", '"'))
        return m.end()
    for word, kind in (("true", "bool"), ("false", "bool"), ("null", "null")):
        if text.startswith(word, pos):
            scan.add(Leaf(key, pos, pos + len(word), word, word, kind))
            return pos + len(word)
    m = _JSON_NUM.match(text, pos)
    if m and m.end() > pos:
        scan.add(Leaf(key, pos, m.end(), m.group(0), m.group(0), "number"))
        return m.end()
    raise ConfigError(f"JSON: unexpected character at offset {pos}")


def render_json(leaf, value):
    text = to_text(value)
    if leaf is not None and leaf.kind in ("number",) and _is_number(text):
        return text
    if leaf is not None and leaf.kind == "bool" and isinstance(value, bool):
        return text
    if isinstance(value, bool) and (leaf is None or leaf.kind != "string"):
        return text
    return json.dumps(text, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# YAML (block mappings; a line editor that keeps comments and layout)
# --------------------------------------------------------------------------------------------
_YAML_KEY = re.compile(r"^(?P<indent>[ ]*)(?P<key>[^\s#'\"\-?:,\[\]{}&*!|>%@`][^:#]*?|'[^']*'|\"[^\"]*\")"
                       r"[ \t]*:(?:[ \t]+(?P<rest>.*?))?[ \t]*$")
_YAML_DQ = re.compile(r'"(?:[^"\\]|\\.)*"')
_YAML_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
                 "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
                 "P": "\u2029"}
# YAML 1.1 words and numbers a plain scalar would be read as (PyYAML, libyaml-based readers)
_YAML_WORDS = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "="))
_YAML_PLAIN = re.compile(r"(?:[A-Za-z_/][A-Za-z0-9_./@%+=,() -]*|[0-9]{1,3}(?:\.[0-9]{1,3}){3})\Z")


def _yaml_unquote_double(raw: str) -> str:
    body = raw[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\" or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        width = {"x": 2, "u": 4, "U": 8}.get(nxt)
        if width:
            digits = body[i + 2:i + 2 + width]
            if len(digits) != width or not re.match(r"[0-9A-Fa-f]+\Z", digits):
                raise ConfigError("YAML: bad escape in a double-quoted scalar")
            out.append(chr(int(digits, 16)))
            i += 2 + width
            continue
        if nxt not in _YAML_ESCAPES:
            raise ConfigError("YAML: unknown escape in a double-quoted scalar")
        out.append(_YAML_ESCAPES[nxt])
        i += 2
    return "".join(out)


def _yaml_double(text: str) -> str:
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c.isprintable():
            out.append(c)
        else:
            code = ord(c)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _yaml_scalar(rest, base):
    """(start, end, raw, value, quote, kind) for a plain or quoted scalar at the start of rest."""
    if rest[:1] == "'":
        i = 1
        while True:
            j = rest.find("'", i)
            if j < 0:
                raise ConfigError("YAML: unterminated single-quoted scalar")
            if rest[j + 1:j + 2] == "'":
                i = j + 2
                continue
            raw = rest[:j + 1]
            return base, base + len(raw), raw, raw[1:-1].replace("''", "'"), "'", "string"
    if rest[:1] == '"':
        m = _YAML_DQ.match(rest)
        if not m:
            raise ConfigError("YAML: cannot read a double-quoted scalar")
        raw = m.group(0)
        return base, base + len(raw), raw, _yaml_unquote_double(raw), '"', "string"
    if rest[:1] in ("[", "{", "|", ">", "&", "*", "!"):
        return None
    m = re.match(r"^(.*?)(?:[ \t]+#.*)?$", rest)
    raw = m.group(1).rstrip()
    kind = "string"
    if _is_number(raw):
        kind = "number"
    elif raw.lower() in ("true", "false", "yes", "no", "on", "off"):
        kind = "bool"
    elif raw in ("~", "null", "Null", "NULL"):
        kind = "null"
    return base, base + len(raw), raw, raw, "", kind


def scan_yaml(text):
    scan = Scan()
    stack = []  # (indent, key)
    pos = 0
    for line in _lines(text):
        body = line.rstrip("\r\n")
        stripped = body.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            pos += len(line)
            continue
        m = _YAML_KEY.match(body)
        indent = len(body) - len(body.lstrip(" "))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not m:
            # list items, continuation lines: their keys are not addressable, mark parents
            pos += len(line)
            continue
        name = m.group("key")
        if name[:1] in ("'", '"'):
            name = name[1:-1]
        key = ".".join([k for _i, k in stack] + [name])
        rest = m.group("rest")
        if rest is None or rest.startswith("#"):
            stack.append((indent, name))
            scan.containers.add(key)
        else:
            found = _yaml_scalar(rest, pos + m.start("rest"))
            if found is None:
                scan.nonliteral[key] = (rest, [])
                scan.nonliteral_spans[key] = (pos + m.start("rest"), pos + m.end("rest"))
            else:
                s, e, raw, value, q, kind = found
                scan.add(Leaf(key, s, e, raw, value, kind, q))
        pos += len(line)
    return scan


def render_yaml(leaf, value):
    text = to_text(value)
    if leaf is not None and leaf.kind == "number" and _is_number(text):
        return text
    if isinstance(value, bool) and (leaf is None or leaf.kind != "string" or not leaf.quote):
        return text
    q = leaf.quote if leaf is not None else ""
    plain_ok = (bool(_YAML_PLAIN.match(text)) and text.lower() not in _YAML_WORDS and not _is_number(text)
                and not text.endswith(" ") and ": " not in text and " #" not in text)
    if not q and plain_ok:
        return text
    if text.isprintable() and (q == "'" or (not q and "'" not in text and "\\" not in text)):
        return "'" + text.replace("'", "''") + "'"
    return _yaml_double(text)


# --------------------------------------------------------------------------------------------
# PHP: a tokenizer and a parser for the literal array a config file returns
# --------------------------------------------------------------------------------------------
_PHP_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|\#(?!\[)[^\n]*|/\*.*?\*/)
  | (?P<sq>'(?:[^'\\]|\\.)*')
  | (?P<dq>"(?:[^"\\]|\\.)*")
  | (?P<heredoc><<<[ \t]*(?P<hq>['"]?)(?P<hid>[A-Za-z_][A-Za-z0-9_]*)(?P=hq)\n.*?\n[ \t]*(?P=hid)\b)
  | (?P<num>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>\\?[A-Za-z_][A-Za-z0-9_]*(?:\\[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>=>|\?\?=|\?\?|::|->|\?->|===|!==|==|!=|<=|>=|&&|\|\||\.=|\+=|-=|\.\.\.|[\[\](){},;=.?:!<>+\-*/%&|^~@])
  | (?P<open><\?php|<\?=)
  | (?P<close>\?>)
""", re.VERBOSE | re.DOTALL)


class _Tok:
    __slots__ = ("end", "kind", "start", "text")

    def __init__(self, kind, text, start, end):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self):
        return f"{self.kind}:{self.text!r}"


def php_tokens(text):
    toks = []
    pos = 0
    # Anything before <?php is inline HTML; skip it.
    m = re.search(r"<\?php|<\?=", text)
    if not m:
        raise ConfigError("not a PHP file: no <?php tag")
    pos = m.end()
    n = len(text)
    while pos < n:
        m = _PHP_TOKEN.match(text, pos)
        if not m:
            raise ConfigError(f"PHP: cannot read the file at offset {pos}: {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        if kind in ("hq", "hid"):
            kind = "heredoc"
        if m.group("heredoc") is not None:
            kind = "heredoc"
        if kind == "close":
            # leave PHP mode until the next open tag
            nxt = re.compile(r"<\?php|<\?=").search(text, m.end())
            if not nxt:
                break
            pos = nxt.end()
            continue
        if kind not in ("ws", "comment"):
            toks.append(_Tok(kind, m.group(0), m.start(), m.end()))
        pos = m.end()
    return toks


_PHP_DQ_ESCAPE = re.compile(r"\\(?:([nrtvef\\$\"])|([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u\{([0-9A-Fa-f]+)\})")
_PHP_DQ_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "e": "\x1b", "f": "\f", "\\": "\\", "$": "$", '"': '"'}
_PHP_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _byte_char(b):
    """A byte of a PHP string as the character the file's text holds (decoded with surrogateescape)."""
    return chr(b) if b < 0x80 else chr(0xDC00 + b)


def php_unquote(raw):
    """The string a PHP single- or double-quoted literal (without interpolation) holds."""
    if raw.startswith("'"):
        return re.sub(r"\\([\\'])", r"\1", raw[1:-1])

    def escape(m):
        if m.group(1):
            return _PHP_DQ_SIMPLE[m.group(1)]
        if m.group(2):
            return _byte_char(int(m.group(2), 8) & 0xFF)
        if m.group(3):
            return _byte_char(int(m.group(3), 16))
        return chr(int(m.group(4), 16))
    return _PHP_DQ_ESCAPE.sub(escape, raw[1:-1])


def _php_interpolates(raw):
    return raw.startswith('"') and re.search(r"(?<!\\)\$[A-Za-z_{]|(?<!\\)\{\$", raw) is not None


_ENV_READER = re.compile(
    r"""(?:\bgetenv\s*\(|\benv\s*\(|\$_ENV\s*\[|\$_SERVER\s*\[)\s*(['"])([A-Za-z_][A-Za-z0-9_]*)\1""")
# $_SERVER also holds request data; these are never environment variables an operator sets.
_NOT_ENV = re.compile(r"^(PHP_|HTTP_|REQUEST_|SCRIPT_|SERVER_|DOCUMENT_|REMOTE_|QUERY_STRING$|PATH_INFO$|HTTPS$)")


def _env_keys_in(expr):
    keys = []
    for m in _ENV_READER.finditer(expr):
        name = m.group(2)
        if name not in keys and not _NOT_ENV.match(name):
            keys.append(name)
    return keys


class _PhpParser:
    def __init__(self, text, scan):
        self.text = text
        self.toks = php_tokens(text)
        self.scan = scan

    def find_root(self):
        """Index of the token opening the configuration array."""
        toks = self.toks
        candidates = []
        for i, t in enumerate(toks):
            if t.kind == "name" and t.text.lower() == "return" and i + 1 < len(toks):
                candidates.append(i + 1)
        for i, t in enumerate(toks):
            if t.kind == "name" and t.text.lower() == "new" and i + 1 < len(toks):
                cls = toks[i + 1].text.lstrip("\\").lower()
                if cls.endswith("config") and cls.split("\\")[0] in ("phalcon", "config"):
                    candidates.append(i)
        for start in candidates:
            j = self._array_start(start)
            if j is not None:
                return j
        raise ConfigError("PHP: found no `return [...]`, `return array(...)` or `new \\Phalcon\\Config([...])` "
                          "holding a literal array")

    def _array_start(self, i):
        toks = self.toks
        if i >= len(toks):
            return None
        t = toks[i]
        if t.text == "[":
            return i
        if t.kind == "name" and t.text.lower() == "array" and i + 1 < len(toks) and toks[i + 1].text == "(":
            return i
        if t.kind == "name" and t.text.lower() == "new" and i + 2 < len(toks) and toks[i + 2].text == "(":
            return self._array_start(i + 3)
        return None

    def parse(self):
        self.parse_array(self.find_root(), "")

    def parse_array(self, i, prefix):
        toks = self.toks
        if toks[i].text == "[":
            close = "]"
            i += 1
        else:
            close = ")"
            i += 2
        index = 0
        while True:
            if i >= len(toks):
                raise ConfigError("PHP: unterminated array")
            if toks[i].text == close:
                return i + 1
            # element: [key =>] value
            key = None
            j = self._expr_end(i)
            if j < len(toks) and toks[j].text == "=>":
                kt = toks[i]
                if j == i + 1 and kt.kind in ("sq", "dq") and not _php_interpolates(kt.text):
                    key = php_unquote(kt.text)
                elif j == i + 1 and kt.kind == "num":
                    key = kt.text
                else:
                    key = None  # computed key: not addressable
                i = j + 1
            else:
                key = str(index)
                index += 1
            full = (f"{prefix}.{key}" if prefix else key) if key is not None else None
            end = self._expr_end(i)
            sub = self._array_start(i)
            if sub is not None and self._matching(sub) == end:
                if full is not None:
                    self.scan.containers.add(full)
                self.parse_array(sub, full if full is not None else "\x00")
            elif full is not None:
                self._value(full, i, end)
            i = end
            if i < len(toks) and toks[i].text == ",":
                i += 1

    def _matching(self, i):
        """Index just after the bracketed group opened at/after token i (array(...), [...], new X(...))."""
        toks = self.toks
        if toks[i].kind == "name" and toks[i].text.lower() == "new":
            i += 2
        elif toks[i].kind == "name":
            i += 1
        depth = 0
        while i < len(toks):
            t = toks[i].text
            if t in ("[", "(", "{"):
                depth += 1
            elif t in ("]", ")", "}"):
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ConfigError("PHP: unbalanced brackets")

    def _expr_end(self, i):
        """Index of the token ending the expression starting at i (',' '=>' or the closing bracket)."""
        toks = self.toks
        depth = 0
        while i < len(toks):
            t = toks[i].text
            if t in ("[", "(", "{"):
                depth += 1
            elif t in ("]", ")", "}"):
                if depth == 0:
                    return i
                depth -= 1
            elif depth == 0 and t in (",", "=>", ";"):
                return i
            i += 1
        return i

    def _value(self, key, i, end):
        toks = self.toks
        span = toks[i:end]
        if not span:
            return
        if len(span) == 2 and span[0].text == "-" and span[1].kind == "num":
            raw = self.text[span[0].start:span[1].end]
            self.scan.add(Leaf(key, span[0].start, span[1].end, raw, raw, "number"))
            return
        if len(span) == 1:
            t = span[0]
            if t.kind == "sq" or (t.kind == "dq" and not _php_interpolates(t.text)):
                self.scan.add(Leaf(key, t.start, t.end, t.text, php_unquote(t.text), "string", t.text[0]))
                return
            if t.kind == "num":
                self.scan.add(Leaf(key, t.start, t.end, t.text, t.text, "number"))
                return
            if t.kind == "name" and t.text.lower() in ("true", "false"):
                self.scan.add(Leaf(key, t.start, t.end, t.text, t.text.lower(), "bool"))
                return
            if t.kind == "name" and t.text.lower() == "null":
                self.scan.add(Leaf(key, t.start, t.end, t.text, "", "null"))
                return
        expr = self.text[span[0].start:span[-1].end]
        self.scan.nonliteral[key] = (expr, _env_keys_in(expr))
        self.scan.nonliteral_spans[key] = (span[0].start, span[-1].end)


def scan_php(text):
    scan = Scan()
    _PhpParser(text, scan).parse()
    return scan


def render_php(leaf, value):
    text = to_text(value)
    if leaf is not None and leaf.kind == "number" and _is_number(text) and not isinstance(value, bool):
        return text
    if isinstance(value, bool) and (leaf is None or leaf.kind in ("bool", "null")):
        return text
    if (leaf is not None and leaf.quote == '"') or _PHP_CONTROL.search(text):
        body = re.sub(r'([\\"$])', r"\\\1", text)
        return '"' + _PHP_CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", body) + '"'
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------------
# Readers: a format as the application reads it
# --------------------------------------------------------------------------------------------
SCANNERS = {"env": scan_env, "ini": scan_ini, "json": scan_json, "yaml": scan_yaml, "php": scan_php}


class Reader:
    """A format as the application reads it: how values are scanned, what a value reads back as, and the
    encodings that carry it."""

    def __init__(self, fmt: str, ini_reader: str = DEFAULT_INI_READER):
        if fmt not in SCANNERS:
            raise ConfigError(f"unknown format {fmt}")
        if ini_reader not in INI_READERS:
            raise ConfigError("unknown INI reader {}; one of {}".format(ini_reader, ", ".join(INI_READERS)))
        self.fmt = fmt
        self.ini = ini_reader

    @property
    def name(self) -> str:
        return READER_NAMES[f"ini:{self.ini}" if self.fmt == "ini" else self.fmt]

    def scan(self, text: str) -> Scan:
        return scan_ini(text, self.ini) if self.fmt == "ini" else SCANNERS[self.fmt](text)

    def expected(self, value) -> str:
        """The text the reader gives back for value (INI_SCANNER_NORMAL reads true as "1", false as "")."""
        if self.fmt == "ini" and self.ini == "normal" and (isinstance(value, bool) or value is None):
            return "1" if value else ""
        return to_text(value)

    def matches(self, leaf: Leaf, value) -> bool:
        """True when the literal already holds the requested value."""
        text = self.expected(value)
        if leaf.kind == "bool" and isinstance(value, bool):
            return leaf.value.lower() in (("true", "yes", "on") if value else ("false", "no", "off"))
        if leaf.kind == "number" and _is_number(text):
            try:
                return float(leaf.value) == float(text) and leaf.value == text
            except ValueError:
                return False
        if leaf.kind == "null":
            return False
        return leaf.value == text

    def problem(self, value) -> Optional[str]:
        """Why no encoding in this format can carry value for this reader (after the key), or None."""
        if isinstance(value, (dict, list, tuple, set)):
            return "cannot be written: the value given is a structure, not a single value"
        text = to_text(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "cannot be written: the value given is not valid UTF-8 text"
        if self.fmt == "ini" and self.ini == "phalcon":
            return _phalcon_problem(value, text)
        return None

    def encodings(self, leaf: Optional[Leaf], value) -> List[str]:
        """The encodings of value, the preferred (the file's own quoting) first; raises Unencodable."""
        if self.fmt == "env":
            return env_encodings(leaf, value)
        if self.fmt == "ini":
            return ini_encodings(leaf, value, self.ini)
        if self.fmt == "json":
            return [render_json(leaf, value)]
        if self.fmt == "yaml":
            return [render_yaml(leaf, value)]
        return [render_php(leaf, value)]

    def encode(self, text: str, key: str, leaf: Leaf, value) -> str:
        """The first encoding of value that the reader gives back exactly at the place of leaf in text."""
        for raw in self.encodings(leaf, value):
            trial = text[:leaf.start] + raw + text[leaf.end:]
            try:
                found = self.scan(trial).leaves.get(key, [])
            except ConfigError:
                continue
            if any(o.start == leaf.start and o.end == leaf.start + len(raw) and self.matches(o, value) for o in found):
                return raw
        line_end = text.find("\n", leaf.end)
        if self.fmt == "ini" and '"' in text[leaf.end:line_end if line_end >= 0 else len(text)]:
            raise Unencodable("cannot be written on its line: the comment after it holds a '\"', which "
                              "INI_SCANNER_RAW reads as part of the value; move that comment to a line of its own")
        raise Unencodable(f"cannot be written at its place in the file so that {self.name} reads it back exactly")


def detect_format(path, text=""):
    name = path.lower().rsplit("/", 1)[-1]
    if name.endswith(".php") or text.lstrip().startswith("<?php"):
        return "php"
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    if name.endswith(".ini"):
        return "ini"
    if name.endswith(".json"):
        return "json"
    if name.endswith((".yml", ".yaml")):
        return "yaml"
    raise ConfigError(f"cannot tell the format of {path} from its name; set the option format")


def set_values(fmt, text, values, secrets=(), ini_reader=DEFAULT_INI_READER):
    """Set `values` (key -> value) in `text`, each written so that the application's reader reads it back.

    Returns (new_text, changes): changes is a list of dicts (key, old, new, action, secret).
    Raises NonLiteralError when keys hold expressions (each names the environment variables it reads),
    KeysError when other keys cannot be set (all of them named at once, each with its reason) and
    ConfigError on anything else unsafe; nothing is changed then. No message holds a value.
    """
    reader = Reader(fmt, ini_reader)
    scan = reader.scan(text)
    edits = []
    changes = []
    appends = []
    nonliteral = []
    problems = []
    for key, value in values.items():
        secret = is_secret(key, secrets)
        if key in scan.nonliteral:
            expr, env_keys = scan.nonliteral[key]
            nonliteral.append(NonLiteral(key, _mask_literals(expr, env_keys) if secret else mask_urls(expr), env_keys))
            continue
        if key in scan.containers and key not in scan.leaves:
            problems.append((key, "holds a nested structure, not a value; name a key inside it"))
            continue
        leaves = scan.leaves.get(key)
        try:
            problem = reader.problem(value)
            if problem is None and not leaves:
                reader.encodings(None, value)
        except Unencodable as e:
            problem = str(e)
        if problem:
            problems.append((key, problem))
            continue
        if not leaves:
            if fmt not in ("env", "ini"):
                problems.append((key, f"is not in the file; this module changes existing settings in {fmt.upper()} "
                                      "files and adds missing ones only to .env and INI files"))
            elif fmt == "ini" and "." not in key:
                problems.append((key, "is not in the file, and a new INI key must be written as section.key"))
            else:
                appends.append((key, value))
                changes.append(dict(key=key, old=None, new=value, action="added", secret=secret))
            continue
        try:
            key_edits = [(leaf.start, leaf.end, reader.encode(text, key, leaf, value))
                         for leaf in leaves if not reader.matches(leaf, value)]
        except Unencodable as e:
            problems.append((key, str(e)))
            continue
        if key_edits:
            edits.extend(key_edits)
            changes.append(dict(key=key, old=leaves[-1].value, new=value, action="changed", secret=secret))
    if nonliteral:
        raise NonLiteralError(nonliteral, problems)
    if problems:
        raise KeysError((), problems)
    new = text
    for start, end, repl in sorted(edits, reverse=True):
        new = new[:start] + repl + new[end:]
    for key, value in appends:
        new = append_env(new, key, value) if fmt == "env" else insert_ini(new, reader.scan(new), key, value, ini_reader)
    if changes:
        verify(fmt, text, new, values, ini_reader)
    return new, changes


def verify(fmt, old, new, values, ini_reader=DEFAULT_INI_READER):
    """Re-read the new text: every requested key holds its value, every other leaf is unchanged, and an
    independent parser reads it (JSON and YAML: the requested values too). Messages name keys only."""
    reader = Reader(fmt, ini_reader)
    before = reader.scan(old).values()
    scan = reader.scan(new)
    after = scan.values()
    for key, vals in after.items():
        if key not in values and before.get(key) != vals:
            raise ConfigError(f"internal check failed: {key} would change although it was not asked for")
    for key in before:
        if key not in after:
            raise ConfigError(f"internal check failed: {key} would disappear")
    for key, value in values.items():
        leaves = scan.leaves.get(key)
        if not leaves or not all(reader.matches(leaf, value) for leaf in leaves):
            raise ConfigError(f"internal check failed: {key} would not read back as the value given")
    parse_check(fmt, new, dict((k, reader.expected(v)) for k, v in values.items()))


def flatten(data, prefix="", out=None) -> Dict[str, Any]:
    """Dotted keys (a.b, list items a[0]) of a parsed structure, as the scanners name them."""
    out = {} if out is None else out
    if isinstance(data, dict):
        for k, v in data.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = data
    return out


def reads_as(value, expected: str) -> bool:
    """True when a value a parser gave (string, number, boolean, null) stands for the expected text."""
    if isinstance(value, bool):
        return expected == ("true" if value else "false")
    if value is None:
        return expected == ""
    if isinstance(value, (int, float)):
        try:
            return float(expected) == float(value)
        except ValueError:
            return False
    return value == expected


def _compare_parsed(parser: str, data, expected: Dict[str, str]):
    flat = flatten(data)
    for key, text in expected.items():
        if key in flat and not reads_as(flat[key], text):
            raise ConfigError(f"internal check failed: {parser} reads {key} otherwise than the value given")


def parse_check(fmt, text, expected: Optional[Dict[str, str]] = None):
    """Parse the text with an independent parser where one is available (raises ConfigError); for JSON
    and YAML, the `expected` texts of keys are compared with what that parser reads."""
    expected = expected or {}
    if fmt == "json":
        try:
            data = json.loads(text)
        except ValueError as e:
            where = f" (line {e.lineno}, column {e.colno})" if hasattr(e, "lineno") else ""
            raise ConfigError(f"the new JSON does not parse{where}") from e
        _compare_parsed("json", data, expected)
    elif fmt == "yaml":
        try:
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
            raise ConfigError(f"the new YAML does not parse{where}") from e
        _compare_parsed("PyYAML", data, expected)
    elif fmt == "ini":
        try:
            from configparser import ConfigParser  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        cp = ConfigParser(strict=False, interpolation=None, comment_prefixes=(";", "#"),
                          inline_comment_prefixes=(";",), allow_no_value=True)
        try:
            cp.read_string(text if text.lstrip().startswith("[") or not text.strip() else "[__top__]\n" + text)
        except Exception as e:  # pylint: disable=broad-except
            where = f" (line {e.lineno})" if getattr(e, "lineno", None) else ""
            raise ConfigError(f"the new INI does not parse{where}: {type(e).__name__}") from e


# --------------------------------------------------------------------------------------------
# Masking for diffs and logs
# --------------------------------------------------------------------------------------------
def masked(fmt, text, secret_keys=(), ini_reader=DEFAULT_INI_READER, changed=()):
    """The text with the values of secret keys and the passwords in URLs masked (for diffs and logs).

    Secret values of the keys in `changed` read MASK_CHANGED, so that a changed password still shows as
    a changed line; string literals in the expressions of secret keys (a default password) are masked.
    """
    try:
        scan = Reader(fmt, ini_reader).scan(text)
    except ConfigError:
        return "(content not shown: it could not be read to hide its secrets)\n"
    spans = []
    for key, leaves in scan.leaves.items():
        if is_secret(key, secret_keys):
            mark = MASK_CHANGED if key in changed else MASK
            for leaf in leaves:
                if leaf.end > leaf.start or key in changed:
                    spans.append((leaf.start, leaf.end, leaf.quote + mark + leaf.quote if leaf.quote else mark))
    for key, (start, end) in scan.nonliteral_spans.items():
        if is_secret(key, secret_keys):
            spans.append((start, end, _mask_literals(text[start:end], scan.nonliteral[key][1])))
    for start, end, repl in sorted(spans, reverse=True):
        text = text[:start] + repl + text[end:]
    return mask_urls(text)


def masked_diff(fmt, before, after, secret_keys=(), ini_reader=DEFAULT_INI_READER, changed=(),
                before_header="before", after_header="after", context=2) -> str:
    """A unified diff of the change: the changed lines with `context` lines around them, secrets masked."""
    a = _lines(masked(fmt, before, secret_keys, ini_reader)) if before else []
    b = _lines(masked(fmt, after, secret_keys, ini_reader, changed))
    out = []
    for line in difflib.unified_diff(a, b, before_header, after_header, n=context):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Reading the new text back with PHP (php -r READBACK_PHP, readback_input on standard input)
# --------------------------------------------------------------------------------------------
# Reads the content as the application does and prints, for each requested key, the type and text of
# what it reads (base64). INI: parse_ini_string in the reader's mode, Phalcon's casts for "phalcon";
# JSON: json_decode; YAML: yaml_parse (the yaml extension, as Phalcon's YAML adapter); .env:
# Dotenv::parse of phpdotenv 5 from the application's vendor directory (its own classes only, the
# application's autoloader is not run); PHP: each literal written, evaluated alone.
READBACK_PHP = r"""
$in = json_decode(stream_get_contents(STDIN), true);
$content = base64_decode($in['content']);
$result = array('values' => array(), 'unavailable' => null, 'error' => null);
$flat = array();
function tiersplit_flat($data, $prefix, &$flat)
{
    foreach ($data as $k => $v) {
        $key = $prefix === '' ? (string) $k : $prefix . '.' . $k;
        if (is_array($v)) {
            tiersplit_flat($v, $key, $flat);
        } else {
            $flat[$key] = array($v);
        }
    }
}
function tiersplit_phalcon_cast($v)
{
    if (is_array($v)) {
        foreach ($v as $k => $item) {
            $v[$k] = tiersplit_phalcon_cast($item);
        }
        return $v;
    }
    $v = (string) $v;
    $l = strtolower($v);
    if ($l === 'true' || $l === 'yes' || $l === 'on') {
        return true;
    }
    if ($l === 'false' || $l === 'no' || $l === 'off') {
        return false;
    }
    if ($l === 'null') {
        return null;
    }
    if (is_numeric($v)) {
        return preg_match('/[.]+/', $v) ? (float) $v : (int) $v;
    }
    return $v;
}
function tiersplit_text($v)
{
    if (is_bool($v)) {
        return array('bool', $v ? 'true' : 'false');
    }
    if ($v === null) {
        return array('null', '');
    }
    if (is_int($v)) {
        return array('int', (string) $v);
    }
    if (is_float($v)) {
        return array('float', (string) $v);
    }
    if (is_string($v)) {
        return array('string', $v);
    }
    return array('other', '');
}
switch ($in['format']) {
    case 'ini':
        $mode = $in['reader'] === 'normal' ? INI_SCANNER_NORMAL : INI_SCANNER_RAW;
        $data = @parse_ini_string($content, true, $mode);
        if ($data === false) {
            $e = error_get_last();
            $result['error'] = 'parse_ini_string: ' . ($e ? $e['message'] : 'the content does not parse');
            break;
        }
        if ($in['reader'] === 'phalcon') {
            $data = tiersplit_phalcon_cast($data);
        }
        tiersplit_flat($data, '', $flat);
        break;
    case 'json':
        $data = json_decode($content, true);
        if ($data === null && json_last_error() !== JSON_ERROR_NONE) {
            $result['error'] = 'json_decode: ' . json_last_error_msg();
            break;
        }
        tiersplit_flat((array) $data, '', $flat);
        break;
    case 'yaml':
        if (!function_exists('yaml_parse')) {
            $result['unavailable'] = 'the PHP yaml extension is not loaded';
            break;
        }
        $data = @yaml_parse($content);
        if ($data === false) {
            $result['error'] = 'yaml_parse: the content does not parse';
            break;
        }
        tiersplit_flat((array) $data, '', $flat);
        break;
    case 'env':
        $vendor = $in['vendor'];
        if ($vendor !== '') {
            spl_autoload_register(function ($class) use ($vendor) {
                $map = array(
                    'Dotenv\\' => '/vlucas/phpdotenv/src/',
                    'PhpOption\\' => '/phpoption/phpoption/src/PhpOption/',
                    'GrahamCampbell\\ResultType\\' => '/graham-campbell/result-type/src/',
                );
                foreach ($map as $prefix => $dir) {
                    if (strncmp($class, $prefix, strlen($prefix)) === 0) {
                        $file = $vendor . $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
                        if (is_file($file)) {
                            require $file;
                        }
                        return;
                    }
                }
            });
        }
        if ($vendor === '' || !class_exists('Dotenv\\Dotenv') || !method_exists('Dotenv\\Dotenv', 'parse')) {
            $result['unavailable'] = 'phpdotenv 5 is not installed beside the file (vendor/vlucas/phpdotenv)';
            break;
        }
        try {
            $data = call_user_func(array('Dotenv\\Dotenv', 'parse'), $content);
        } catch (Throwable $e) {
            $result['error'] = 'phpdotenv: ' . preg_replace('/ at \[.*$/s', '', $e->getMessage());
            break;
        }
        foreach ($data as $k => $v) {
            $flat[$k] = array($v);
        }
        break;
    case 'php':
        foreach ($in['literals'] as $k => $list) {
            foreach ($list as $literal) {
                try {
                    $flat[$k][] = eval('return ' . base64_decode($literal) . ';');
                } catch (Throwable $e) {
                    $result['error'] = 'a literal written does not evaluate: ' . get_class($e);
                }
            }
        }
        break;
}
foreach ($in['keys'] as $k) {
    if (array_key_exists($k, $flat)) {
        $result['values'][$k] = array();
        foreach ($flat[$k] as $v) {
            $t = tiersplit_text($v);
            $result['values'][$k][] = array($t[0], base64_encode($t[1]));
        }
    }
}
$result['values'] = (object) $result['values'];
echo json_encode($result, defined('JSON_INVALID_UTF8_SUBSTITUTE') ? JSON_INVALID_UTF8_SUBSTITUTE : 0);
"""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode("ascii")


def readback_input(fmt: str, text: str, keys: Iterable[str], ini_reader: str = DEFAULT_INI_READER,
                   dotenv_vendor: Optional[str] = None) -> str:
    """The standard input of READBACK_PHP: the new text, the keys to read and, for PHP files, their literals."""
    keys = list(keys)
    request = dict(format=fmt, reader=ini_reader, content=_b64(text), keys=keys, literals={},
                   vendor=dotenv_vendor or "")
    if fmt == "php":
        scan = scan_php(text)
        request["literals"] = dict((k, [_b64(leaf.raw) for leaf in scan.leaves.get(k, [])]) for k in keys)
    return json.dumps(request)


def _php_reads_as(fmt: str, kind: str, text: str, value, expected: str) -> bool:
    """True when PHP's reading (its type and text) is the value given. A number PHP reads stands for the
    same number written otherwise (1.50 in a JSON file), except for a string asked of an INI reader."""
    if text == expected:
        return True
    number_asked = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("int", "float") and (fmt != "ini" or number_asked):
        try:
            return float(text) == float(expected)
        except ValueError:
            return False
    return False


def readback_result(fmt: str, output: str, values: Dict[str, Any],
                    ini_reader: str = DEFAULT_INI_READER) -> Tuple[List[str], Optional[str]]:
    """(the keys PHP reads otherwise than the values given, why PHP could not read the format or None).

    Raises ConfigError when PHP could not read the content at all."""
    try:
        data = json.loads(output)
    except ValueError as e:
        raise ConfigError("PHP printed no read-back result") from e
    if not isinstance(data, dict):
        raise ConfigError("PHP printed no read-back result")
    if data.get("error"):
        raise ConfigError("PHP cannot read the new content: {}".format(data["error"]))
    if data.get("unavailable"):
        return [], str(data["unavailable"])
    got = data.get("values") or {}
    reader = Reader(fmt, ini_reader)
    wrong = []
    for key, value in values.items():
        expected = reader.expected(value)
        reads = got.get(key) or []
        texts = [(kind, base64.b64decode(b).decode("utf-8", "surrogateescape")) for kind, b in reads]
        if not texts or not all(_php_reads_as(fmt, kind, t, value, expected) for kind, t in texts):
            wrong.append(key)
    return wrong, None


def readback_description(fmt: str, ini_reader: str = DEFAULT_INI_READER) -> str:
    return "read back with php: " + Reader(fmt, ini_reader).name
