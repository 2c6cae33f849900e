# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Byte-preserving editors for the configuration formats PHP applications use.

Every format is handled the same way: ``scan(text)`` finds the leaf values (key path ->
span in the text), ``set_values`` replaces only the spans of the requested keys and
returns the new text plus a list of changes. Nothing else in the text is touched:
comments, order, quoting, whitespace and unrelated sections stay byte for byte.

Pure Python, no Ansible imports: unit-tested directly.
"""

import json
import re

SECRET_RE = re.compile(r"(pass(word|wd)?|pwd|secret|token|api_?key|app_?key|private_?key)$", re.IGNORECASE)
MASK = "********"
FORMATS = ("env", "php", "ini", "json", "yaml")


class ConfigError(Exception):
    """A request that cannot be carried out safely; nothing was changed."""


class NonLiteralError(ConfigError):
    """The value in the file is an expression; it names the environment variables it reads."""

    def __init__(self, key, expression, env_keys):
        self.key = key
        self.expression = expression
        self.env_keys = env_keys
        if env_keys:
            hint = "set the environment variable {} instead (for example in the .env file the application reads, " \
                   "option env_file)".format(" or ".join(env_keys))
        else:
            hint = "it reads no environment variable this module recognises; change the file by hand"
        super().__init__(
            f"{key} is not a literal value in the file but the expression `{expression}`; nothing was changed: {hint}")


class Leaf:
    """One literal value in a file: text[start:end] is its raw form."""

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
        self.leaves = {}  # key -> [Leaf]
        self.nonliteral = {}  # key -> (expression, [env keys])
        self.containers = set()  # keys that hold nested structures

    def add(self, leaf):
        self.leaves.setdefault(leaf.key, []).append(leaf)

    def values(self):
        return dict((k, [leaf.value for leaf in v]) for k, v in self.leaves.items())


def is_secret(key, extra=()):
    if key in extra:
        return True
    return bool(SECRET_RE.search(key.rsplit(".", 1)[-1]))


def to_text(value):
    """The text form of a requested value (what the application will read)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_number(text):
    return bool(re.match(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$", text))


# --------------------------------------------------------------------------------------------
# .env
# --------------------------------------------------------------------------------------------
_ENV_LINE = re.compile(r"^(?P<lead>[ \t]*(?:export[ \t]+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(?P<rest>.*)$")


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
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            if c == q:
                raw = rest[:i + 1]
                return base, base + len(raw), raw, "".join(out), q
            out.append(c)
            i += 1
        raise ConfigError(f"unterminated quoted value in .env line: {rest}")
    m = re.match(r"^(.*?)(?:[ \t]+#.*)?$", rest)
    raw = m.group(1).rstrip(" \t\r") if m else rest
    if raw.startswith("#"):
        raw = ""
    return base, base + len(raw), raw, raw, ""


def scan_env(text):
    scan = Scan()
    pos = 0
    for line in text.splitlines(True):
        body = line.rstrip("\r\n")
        m = _ENV_LINE.match(body)
        if m and not body.lstrip().startswith("#"):
            start = pos + m.start("rest")
            s, e, raw, value, q = _env_value(m.group("rest"), start)
            scan.add(Leaf(m.group("key"), s, e, raw, value, "string", q))
        pos += len(line)
    return scan


def render_env(leaf, value):
    text = to_text(value)
    q = leaf.quote if leaf is not None else ""
    if not q and (text == "" or re.search(r"[\s#'\"\\$`]", text)):
        q = '"' if not re.search(r"[\\\"$`]", text) else "'"
        if q == "'" and "'" in text:
            q = '"'
    if q == "'":
        if "'" in text:
            q = '"'
        else:
            return "'" + text + "'"
    if q == '"':
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("\n", "\\n") + '"'
    return text


def append_env(text, key, value):
    line = f"{key}={render_env(None, value)}"
    if text and not text.endswith("\n"):
        text += "\n"
    return text + line + "\n"


# --------------------------------------------------------------------------------------------
# INI (php parse_ini_file style: [section], key = value, ; and # comments)
# --------------------------------------------------------------------------------------------
_INI_SECTION = re.compile(r"^[ \t]*\[(?P<name>[^\]]*)\][ \t]*(?:[;#].*)?$")
_INI_KEY = re.compile(r"^(?P<lead>[ \t]*)(?P<key>[^=;#\[\s][^=]*?)[ \t]*=[ \t]*(?P<rest>.*)$")


def _ini_value(rest, base):
    if rest[:1] in ("'", '"'):
        q = rest[0]
        end = rest.find(q, 1)
        if end < 0:
            raise ConfigError(f"unterminated quoted value in INI line: {rest}")
        raw = rest[:end + 1]
        return base, base + len(raw), raw, raw[1:-1], q
    m = re.match(r"^(.*?)(?:[ \t]*[;#].*)?$", rest)
    raw = m.group(1).rstrip(" \t\r")
    return base, base + len(raw), raw, raw, ""


def scan_ini(text):
    scan = Scan()
    section = None
    pos = 0
    scan.sections = {}  # section -> end offset of its last key line (or header line)
    for line in text.splitlines(True):
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
                s, e, raw, value, q = _ini_value(k.group("rest"), pos + k.start("rest"))
                scan.add(Leaf(full, s, e, raw, value, "string", q))
                if section is not None:
                    scan.sections[section] = pos + len(line)
        pos += len(line)
    return scan


def render_ini(leaf, value):
    text = to_text(value)
    q = leaf.quote if leaf is not None else ""
    if not q and (text == "" or re.search(r"[\s;#=\"'{}|&~!()^\[\]]", text)):
        q = '"'
    if q:
        if q in text:
            raise ConfigError(f"cannot write a value containing {q} into an INI value quoted with it")
        return q + text + q
    return text


def insert_ini(text, scan, key, value):
    if "." not in key:
        raise ConfigError(f"INI key {key} must be written as section.key")
    section, name = key.split(".", 1)
    line = f"{name} = {render_ini(None, value)}\n"
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


def _yaml_scalar(rest, base):
    """(start, end, raw, value, quote, kind) for a plain or quoted scalar at the start of rest."""
    if rest[:1] == "'":
        i = 1
        while True:
            j = rest.find("'", i)
            if j < 0:
                raise ConfigError(f"YAML: unterminated single-quoted scalar: {rest}")
            if rest[j + 1:j + 2] == "'":
                i = j + 2
                continue
            raw = rest[:j + 1]
            return base, base + len(raw), raw, raw[1:-1].replace("''", "'"), "'", "string"
    if rest[:1] == '"':
        m = _JSON_STR.match(rest)
        if not m:
            raise ConfigError(f"YAML: cannot read double-quoted scalar: {rest}")
        raw = m.group(0)
        return base, base + len(raw), raw, json.loads(raw), '"', "string"
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
    for line in text.splitlines(True):
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
    plain_ok = (text != "" and not _is_number(text) and text.lower() not in (
        "true", "false", "yes", "no", "on", "off", "y", "n", "~", "null")
        and re.match(r"^[A-Za-z0-9_./@%+=,()-][A-Za-z0-9_./@%+=,() -]*$", text) and not text.endswith(" ")
        and ": " not in text and " #" not in text)
    if not q and plain_ok:
        return text
    if q == "'" or (not q and "'" not in text and "\\" not in text):
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text, ensure_ascii=False)


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


def php_unquote(raw):
    if raw.startswith("'"):
        return re.sub(r"\\([\\'])", r"\1", raw[1:-1])
    body = raw[1:-1]
    out = []
    i = 0
    esc = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "e": "\x1b", "f": "\f", "\\": "\\", "$": "$", '"': '"'}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] in esc:
            out.append(esc[body[i + 1]])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


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
    if leaf is not None and leaf.quote == '"':
        return '"' + re.sub(r'([\\"$])', r"\\\1", text) + '"'
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------------
# Common entry points
# --------------------------------------------------------------------------------------------
SCANNERS = {"env": scan_env, "ini": scan_ini, "json": scan_json, "yaml": scan_yaml, "php": scan_php}
RENDERERS = {"env": render_env, "ini": render_ini, "json": render_json, "yaml": render_yaml, "php": render_php}


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


def leaf_matches(leaf, value):
    """True when the literal already holds the requested value."""
    text = to_text(value)
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


def set_values(fmt, text, values, secrets=()):
    """Set `values` (key -> value) in `text`.

    Returns (new_text, changes): changes is a list of dicts (key, old, new, action, secret).
    Raises NonLiteralError when a key holds an expression (it names the environment variables the
    expression reads) and ConfigError on anything else unsafe; nothing is changed then.
    """
    if fmt not in SCANNERS:
        raise ConfigError(f"unknown format {fmt}")
    scan = SCANNERS[fmt](text)
    render = RENDERERS[fmt]
    edits = []
    changes = []
    appends = []
    for key in values:
        value = values[key]
        secret = is_secret(key, secrets)
        if key in scan.nonliteral:
            expr, env_keys = scan.nonliteral[key]
            raise NonLiteralError(key, expr, env_keys)
        if key in scan.containers and key not in scan.leaves:
            raise ConfigError(f"{key} holds a nested structure, not a value; name a key inside it")
        leaves = scan.leaves.get(key)
        if not leaves:
            if fmt == "env":
                appends.append((key, value))
                changes.append(dict(key=key, old=None, new=value, action="added", secret=secret))
                continue
            if fmt == "ini":
                appends.append((key, value))
                changes.append(dict(key=key, old=None, new=value, action="added", secret=secret))
                continue
            raise ConfigError(f"{key} is not in the file; this module changes existing settings in {fmt.upper()} "
                              "files and adds missing ones only to .env and INI files")
        changed = False
        old = leaves[-1].value
        for leaf in leaves:
            if not leaf_matches(leaf, value):
                edits.append((leaf.start, leaf.end, render(leaf, value)))
                changed = True
        if changed:
            changes.append(dict(key=key, old=old, new=value, action="changed", secret=secret))
    new = text
    for start, end, repl in sorted(edits, reverse=True):
        new = new[:start] + repl + new[end:]
    for key, value in appends:
        new = append_env(new, key, value) if fmt == "env" else insert_ini(new, scan_ini(new), key, value)
    if changes:
        verify(fmt, text, new, values)
    return new, changes


def verify(fmt, old, new, values):
    """Re-read the new text: every requested key holds its value, every other leaf is unchanged."""
    before = SCANNERS[fmt](old).values()
    after = SCANNERS[fmt](new).values()
    for key, vals in after.items():
        if key in values:
            continue
        if before.get(key) != vals:
            raise ConfigError(f"internal check failed: {key} would change from {before.get(key)!r} to {vals!r}")
    for key in before:
        if key not in after:
            raise ConfigError(f"internal check failed: {key} would disappear")
    scan = SCANNERS[fmt](new)
    for key, value in values.items():
        for leaf in scan.leaves.get(key, []):
            if not leaf_matches(leaf, value):
                raise ConfigError(f"internal check failed: {key} reads {leaf.value!r} after the change")
    parse_check(fmt, new)


def parse_check(fmt, text):
    """Parse the text with an independent parser where one is available (raises ConfigError)."""
    if fmt == "json":
        try:
            json.loads(text)
        except ValueError as e:
            raise ConfigError(f"the new JSON does not parse: {e}") from e
    elif fmt == "yaml":
        try:
            import yaml  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ConfigError(f"the new YAML does not parse: {e}") from e
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
            raise ConfigError(f"the new INI does not parse: {e}") from e


def masked(fmt, text, secret_keys=()):
    """The text with the values of secret keys replaced by a mask (for diffs and logs)."""
    try:
        scan = SCANNERS[fmt](text)
    except ConfigError:
        return "(content not shown: it could not be read to hide its secrets)\n"
    spans = []
    for key, leaves in scan.leaves.items():
        if is_secret(key, secret_keys):
            for leaf in leaves:
                if leaf.end > leaf.start:
                    inner = MASK
                    if leaf.quote:
                        inner = leaf.quote + MASK + leaf.quote
                    spans.append((leaf.start, leaf.end, inner))
    for start, end, repl in sorted(spans, reverse=True):
        text = text[:start] + repl + text[end:]
    return text
