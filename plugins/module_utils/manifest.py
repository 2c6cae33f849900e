# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory of what a MySQL/MariaDB/Percona migration must preserve, and the comparison of two."""

import hashlib
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

SYSTEM_SCHEMAS = ("information_schema", "performance_schema", "sys", "mysql")

# Settings a physical copy of the data directory depends on (absent ones are recorded as None).
PHYSICAL_SETTINGS = (
    "lower_case_table_names",
    "innodb_page_size",
    "innodb_data_file_path",
    "innodb_log_file_size",
    "innodb_log_files_in_group",
    "innodb_redo_log_capacity",
    "innodb_file_per_table",
    "log_bin",
    "server_id",
    "datadir",
    "character_set_server",
    "collation_server",
)

FORMAT_VERSION = 1


def quote_ident(name):
    return "`" + name.replace("`", "``") + "`"


def flavor_of(version, comment):
    text = (f"{version} {comment}").lower()
    if "mariadb" in text:
        return "mariadb"
    if "percona" in text:
        return "percona"
    return "mysql"


_SECRET_IN_GRANT = re.compile(r"((?:PASSWORD|USING|AS)\s+)'((?:[^'\\]|\\.)+)'", re.IGNORECASE)


def mask_grant(grant):
    """Replace password hashes in a grant by a digest: comparable, but not the hash itself."""
    def repl(m):
        return "{}'<sha256:{}>'".format(m.group(1), hashlib.sha256(m.group(2).encode("utf-8")).hexdigest()[:16])
    return _SECRET_IN_GRANT.sub(repl, grant)


def _query(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall()


def _show_create(cur, kind, schema, name, column):
    rows = _query(cur, f"SHOW CREATE {kind} {quote_ident(schema)}.{quote_ident(name)}")
    if not rows:
        return None
    names = [d[0] for d in cur.description]
    return rows[0][names.index(column)] if column in names else rows[0][1]


def collect(conn, schemas=None, exclude_schemas=SYSTEM_SCHEMAS, checksums=True, row_counts=True,
            users=True, progress=None):
    """Read the inventory from a live server (read-only statements only)."""
    cur = conn.cursor()
    version, comment = _query(cur, "SELECT @@version, @@version_comment")[0]
    settings = dict((name, None) for name in PHYSICAL_SETTINGS)
    placeholders = ", ".join(["%s"] * len(PHYSICAL_SETTINGS))
    for name, value in _query(cur, f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({placeholders})",
                              PHYSICAL_SETTINGS):
        settings[name] = value
    manifest = dict(
        format=FORMAT_VERSION,
        server=dict(flavor=flavor_of(version, comment), version=version, version_comment=comment),
        settings=settings,
        schemas={},
    )
    all_schemas = [r[0] for r in _query(cur, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                                             "ORDER BY SCHEMA_NAME")]
    wanted = [s for s in all_schemas if (not schemas or s in schemas) and s not in (exclude_schemas or ())]
    if schemas:
        missing = [s for s in schemas if s not in all_schemas]
        if missing:
            raise LookupError("schemas not found on the server: {}".format(", ".join(missing)))
    for schema in wanted:
        manifest["schemas"][schema] = collect_schema(cur, schema, checksums, row_counts)
    if users:
        manifest["users"] = collect_users(cur)
    return manifest


def checksum_rows(rows: Iterable[Sequence], schema: str, tables: Iterable[str]) -> Dict[str, Optional[int]]:
    """{table: checksum} from the rows of CHECKSUM TABLE on `tables` of `schema`.

    The first column is `schema.table`, unquoted: a schema or table name may itself contain dots
    (`shop.v2`), so a row is matched by the exact `schema.table` string of a table asked for, never
    split at a dot. Rows of other tables are ignored; a NULL checksum (table missing or not
    checksummable) is kept as None.
    """
    names = list(tables)
    wanted = {f"{schema}.{t}": t for t in names}
    out: Dict[str, Optional[int]] = {}
    for row in rows:
        full, checksum = row[0], row[1]
        # the table alone (without its schema) is accepted too, as before; never a guess at a dot
        table = wanted.get(full) or (full if full in names else None)
        if table is not None:
            out[table] = None if checksum is None else int(checksum)
    return out


def normalize_table_definition(create: Optional[str]) -> str:
    """SHOW CREATE TABLE without what does not change the table.

    AUTO_INCREMENT is the next value, not the definition. A column's
    ``CHARACTER SET cs`` right before its ``COLLATE`` is implied by the
    collation (each belongs to one character set): MySQL 8 and later print it
    for a column restored from a dump and omit it for the same column created
    with the table's defaults.
    """
    text = re.sub(r" AUTO_INCREMENT=\d+", "", create or "")
    return re.sub(r" CHARACTER SET \w+(?= COLLATE \w+)", "", text)


def collect_schema(cur, schema, checksums=True, row_counts=True):
    charset, collation = _query(cur, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                                     "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (schema,))[0]
    out = dict(charset=charset, collation=collation, tables={}, views={}, triggers={}, routines={}, events={})
    rows = _query(cur, "SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES "
                       "WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", (schema,))
    base = []
    for name, ttype, engine in rows:
        if ttype == "VIEW":
            out["views"][name] = _show_create(cur, "VIEW", schema, name, "Create View")
            continue
        if ttype not in ("BASE TABLE", "SYSTEM VERSIONED"):
            continue  # SEQUENCE and temporary tables are recorded by their definition only
        table = dict(engine=engine)
        create = _show_create(cur, "TABLE", schema, name, "Create Table")
        table["definition_sha256"] = hashlib.sha256(normalize_table_definition(create).encode("utf-8")).hexdigest()
        if row_counts:
            table["rows"] = int(_query(cur, f"SELECT COUNT(*) FROM {quote_ident(schema)}.{quote_ident(name)}")[0][0])
        out["tables"][name] = table
        base.append(name)
    if checksums and base:
        # one CHECKSUM TABLE statement per batch of tables
        for i in range(0, len(base), 50):
            batch = base[i:i + 50]
            sql = "CHECKSUM TABLE " + ", ".join(f"{quote_ident(schema)}.{quote_ident(t)}" for t in batch)
            for tname, checksum in checksum_rows(_query(cur, sql + " EXTENDED"), schema, batch).items():
                out["tables"][tname]["checksum"] = checksum
    for name, event, table, timing in _query(cur, "SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, "
                                                  "ACTION_TIMING FROM information_schema.TRIGGERS "
                                                  "WHERE TRIGGER_SCHEMA = %s ORDER BY TRIGGER_NAME", (schema,)):
        rows = _query(cur, f"SHOW CREATE TRIGGER {quote_ident(schema)}.{quote_ident(name)}")
        names = [d[0] for d in cur.description]
        definition = rows[0][names.index("SQL Original Statement")] if rows else None
        out["triggers"][name] = dict(table=table, event=event, timing=timing, definition=definition)
    for name, rtype in _query(cur, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
                                   "WHERE ROUTINE_SCHEMA = %s ORDER BY ROUTINE_NAME", (schema,)):
        column = "Create Procedure" if rtype == "PROCEDURE" else "Create Function"
        if rtype not in ("PROCEDURE", "FUNCTION"):
            continue
        out["routines"][f"{rtype.lower()} {name}"] = _show_create(cur, rtype, schema, name, column)
    for (name,) in _query(cur, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s "
                               "ORDER BY EVENT_NAME", (schema,)):
        out["events"][name] = _show_create(cur, "EVENT", schema, name, "Create Event")
    return out


def collect_users(cur):
    users = {}
    for user, host in _query(cur, "SELECT User, Host FROM mysql.user ORDER BY User, Host"):
        account = "'{}'@'{}'".format(user.replace("'", "\\'"), host.replace("'", "\\'"))
        try:
            grants = [mask_grant(r[0]) for r in _query(cur, "SHOW GRANTS FOR %s@%s", (user, host))]
        except Exception as e:  # pylint: disable=broad-except
            grants = [f"(SHOW GRANTS failed: {e})"]
        users[account] = sorted(grants)
    return users


def _flatten(value, prefix, out):
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = {}
        for k in value:
            _flatten(value[k], f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = value
    return out


def _ignored(path, ignore):
    return any(path == pattern or path.startswith(pattern + ".") for pattern in ignore)


def compare(before, after, ignore=()):
    """Differences between two inventories: a list of {path, kind, before, after}; empty when equal.

    `kind` is missing (only in `before`), added (only in `after`) or changed. Table names that differ in
    any way are summarised by `tables_with_differences`.
    """
    a = _flatten(before or {}, "", {})
    b = _flatten(after or {}, "", {})
    diffs = []
    for path in sorted(set(a) | set(b)):
        if _ignored(path, ignore):
            continue
        if path not in b:
            diffs.append(dict(path=path, kind="missing", before=a[path], after=None))
        elif path not in a:
            diffs.append(dict(path=path, kind="added", before=None, after=b[path]))
        elif a[path] != b[path]:
            diffs.append(dict(path=path, kind="changed", before=a[path], after=b[path]))
    return diffs


# The keys of a table's record (collect_schema): the last part of a table's paths.
TABLE_FIELDS = ("engine", "definition_sha256", "rows", "checksum")


def _schema_table(path: str, schemas: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(schema, table) of a difference's dotted path, matched against the known schema names.

    A name may contain dots (`shop.v2`): the path is not split at every dot but matched with
    `schemas.<schema>.tables.` for each known schema (the longest first), then the table is what
    precedes the table field (or the rest, when the whole table record is the difference).
    """
    for schema in sorted(schemas, key=len, reverse=True):
        prefix = f"schemas.{schema}.tables."
        if not path.startswith(prefix) or len(path) == len(prefix):
            continue
        rest = path[len(prefix):]
        head, _dot, field = rest.rpartition(".")
        return schema, (head if head and field in TABLE_FIELDS else rest)
    return None


def tables_with_differences(diffs, schemas: Optional[Iterable[str]] = None) -> List[str]:
    """`schema.table` of every table with a difference, in the order of `diffs`.

    `schemas`: the schema names of both inventories (exact, dots allowed). Without them a path is
    split at its dots, which misreads names that contain one.
    """
    known = list(schemas) if schemas is not None else None
    out: List[str] = []
    for d in diffs:
        if known is not None:
            found = _schema_table(d["path"], known)
            if found is None:
                continue
            name = f"{found[0]}.{found[1]}"
        else:
            parts = d["path"].split(".")
            if not (len(parts) >= 4 and parts[0] == "schemas" and parts[2] == "tables"):
                continue
            name = f"{parts[1]}.{parts[3]}"
        if name not in out:
            out.append(name)
    return out


def schema_names(*manifests) -> List[str]:
    """The schema names recorded in any of the inventories."""
    names: List[str] = []
    for m in manifests:
        for name in ((m or {}).get("schemas") or {}):
            if name not in names:
                names.append(name)
    return names
