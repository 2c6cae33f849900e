#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: app_connection
short_description: Set a PHP application's database and queue connection settings
version_added: "0.1.0"
description:
  - Sets connection values (database host, port, user, password, schema, queue host, ...) in the
    configuration file of a PHP application and changes nothing else in it. Comments, key order,
    quoting, whitespace and other sections with keys of the same name (such as a mail C(host))
    stay byte for byte.
  - "Formats: C(.env) files (quoted values, C(export) prefix, comments; a missing key is appended);
    PHP files that return an array or a C(\\Phalcon\\Config) or C(Phalcon\\Config\\Config) object built from one
    in short or long array syntax; INI files with sections (a missing key is added to its section);
    JSON and YAML files (block style)."
  - Keys are dotted paths into the file's structure (C(database.host), C(queue.beanstalk.host)); in a
    C(.env) file they are the variable names (C(DB_HOST)); in an INI file C(section.key).
  - When a PHP value is not a literal but an expression such as a C(getenv) call or
    C($_ENV['DB_HOST'] ?? 'localhost'), the module changes nothing and fails with a message naming the
    environment variable to set instead. When O(env_file) names the C(.env) file the application
    reads, the module sets that variable there instead.
  - Every value is written so that the application reads it back exactly, as its reader reads the
    format - phpdotenv 5 for C(.env) files; for INI files C(parse_ini_file) in the mode of O(ini_reader)
    (Phalcon's INI adapter by default); PHP's own string literals; JSON; YAML. The quoting of the file is
    kept where it carries the value, another one is chosen where it does not (an INI value holding
    a double quote and C(;) is written C("pa"ss;word") for C(INI_SCANNER_RAW), C("pa\"ss;word") for
    C(INI_SCANNER_NORMAL), where C($) is escaped too so that C(${VAR}) is not expanded). A value that
    no encoding carries for that reader (a line break in an INI value, text such as C(yes), C(null) or
    C(0123) that Phalcon's INI adapter turns into another type) is refused, naming the key and the
    reason; nothing is changed then.
  - Every key that cannot be set is named in one error (all the C(getenv) expressions of a run, not
    the first one).
  - The new content is checked before anything is written. The module re-reads it and compares every
    value with the old one (only the requested ones may differ) and parses JSON, YAML and INI with an
    independent parser. When O(validate=true) and PHP is installed on the host, it runs C(php -l) on PHP
    files and reads the new values back with PHP as the application does (see O(validate)); a value
    PHP reads otherwise fails the task, naming the key, before any file is replaced. It then replaces
    the file atomically, keeping its owner, group, mode and SELinux context.
  - Values of secret keys never appear in the module's output or diff - keys of O(secrets) and any key
    whose last part names a password, passwd, pwd, pass, secret, salt, token, credential, auth or ends
    in key (C(APP_CRYPT_SALT), C(SECRET_KEY), C(AWS_SECRET_ACCESS_KEY), C(API_KEY)) - nor do the passwords
    of URLs with credentials (C(mysql://user:password@host/db)), whatever their key.
author:
  - tiersplit developers (@tiersplit)
options:
  path:
    description:
      - The configuration file to change. It must exist.
    type: path
    required: true
  format:
    description:
      - The file's format. V(auto) decides from the file name (C(.php), C(.env*), C(.ini), C(.json),
        C(.yml)/C(.yaml)) or a leading C(<?php).
    type: str
    choices: [auto, env, php, ini, json, yaml]
    default: auto
  ini_reader:
    description:
      - How the application reads an INI file, which decides how a value is written and read back.
      - V(phalcon) - C(Phalcon\Config\Adapter\Ini) with its default mode - C(parse_ini_file) with
        C(INI_SCANNER_RAW), where nothing is escaped and C(${VAR}) is not expanded, followed by Phalcon's
        casts (C(true)/C(yes)/C(on), C(false)/C(no)/C(off) and C(null) in any case become booleans and
        null, numeric text becomes a number); a string that these casts change is refused.
      - V(raw) - C(parse_ini_file) with C(INI_SCANNER_RAW), without Phalcon's casts.
      - V(normal) - C(parse_ini_file) with its default C(INI_SCANNER_NORMAL), where double-quoted values
        read C(\"), C(\\) and C(\$) and expand C(${VAR}), and bare words such as C(yes) or constants
        are interpreted.
      - Ignored for other formats.
    type: str
    choices: [phalcon, raw, normal]
    default: phalcon
  settings:
    description:
      - Keys and the values to set. Numbers stay numbers where the file holds a number; strings keep
        the file's quoting style where it carries the value.
      - Pass passwords in O(secrets). A value under O(settings) whose key looks secret, or that holds a URL
        with credentials, is masked in the result, the diff and the returned invocation, but the task's
        arguments hold it.
    type: dict
    default: {}
  secrets:
    description:
      - Like O(settings), for values that must never be shown (passwords). Their values are masked in
        the result and in the diff.
    type: dict
    default: {}
  env_file:
    description:
      - The C(.env) file the application reads. A PHP value that reads an environment variable is then
        set in this file instead of failing. Created if missing, with mode 0640 and the owner and group of
        O(path) from the start (set on a temporary file before its content is written, then renamed into place).
    type: path
  backup:
    description:
      - Keep a timestamped copy (C(FILE.PID.YYYY-MM-DD@HH:MM:SS~)) of every file the module replaces. Copies
        are created with mode 0600 and the owner and group of the original, whatever its mode.
    type: bool
    default: false
  validate:
    description:
      - Before any file is written, with the C(php) of the managed host, run C(php -l) on a new PHP file and
        read the new values back as the application does - INI with C(parse_ini_string) in the mode of
        O(ini_reader) (and Phalcon's casts), JSON with C(json_decode), YAML with C(yaml_parse) when the
        yaml extension is loaded, C(.env) with phpdotenv 5 when the file's directory holds
        C(vendor/vlucas/phpdotenv) (its classes only; the application's autoloader is not run), PHP files
        by evaluating each literal written. A value PHP reads otherwise fails the task, naming the key;
        nothing is changed. Skipped with a warning when no C(php) binary is found; see RV(read_back).
        The module's own re-read checks always run.
    type: bool
    default: true
  connection_check:
    description:
      - Log in to the database with these credentials before anything is changed and fail clearly if
        that does not work. Needs PyMySQL on the managed host. Runs in check mode too (it only logs in).
    type: dict
    suboptions:
      host:
        description: Database host; the local socket when omitted or C(localhost).
        type: str
      port:
        description: Database TCP port.
        type: int
        default: 3306
      user:
        description: Database user.
        type: str
        required: true
      password:
        description: Database password.
        type: str
      database:
        description: Schema to open; the login fails when the user cannot use it.
        type: str
      unix_socket:
        description: Socket to use when O(connection_check.host) is omitted.
        type: path
      connect_timeout:
        description: Seconds to wait for the server.
        type: int
        default: 10
attributes:
  check_mode:
    support: full
    description: Reports the changes (and the diff) without writing anything; the checks, the read-back with
      PHP included, run as in a real run.
  diff_mode:
    support: full
    description: Shows the changed lines with two lines of context (a unified diff), secret values and the
      passwords of URLs masked; a changed secret shows as the mask followed by C(changed).
  idempotent:
    support: full
    description: A second run with the same values changes nothing.
  platform:
    platforms: posix
    support: full
    description: Runs on the host that holds the configuration file.
notes:
  - Missing keys are added only to C(.env) and INI files. In PHP, JSON and YAML files a missing key is an
    error, because where to put it is the application's decision.
  - YAML flow collections, anchors and multi-line scalars are not edited; a key holding one is reported.
  - The module does not log its arguments to the managed host's journal.
requirements:
  - PyMySQL, only for O(connection_check).
  - PyYAML on the managed host, only to double-check YAML files (skipped when missing).
seealso:
  - module: tiersplit.maintenance.mysql_manifest
"""

EXAMPLES = r"""
- name: Point a Phalcon 3 application at the new database and worker servers
  tiersplit.maintenance.app_connection:
    path: /var/www/app/app/config/config.php
    settings:
      database.host: 10.0.10.5
      database.username: app
      queue.beanstalk.host: 10.0.10.6
    secrets:
      database.password: "{{ vault_app_db_password }}"
    backup: true
    connection_check:
      host: 10.0.10.5
      user: app
      password: "{{ vault_app_db_password }}"
      database: app

- name: Rewire an application whose config.php reads getenv(); write the values into its .env
  tiersplit.maintenance.app_connection:
    path: /var/www/vokuro/configs/config.php
    env_file: /var/www/vokuro/.env
    settings:
      database.host: 10.0.10.5
    secrets:
      database.password: "{{ vault_app_db_password }}"

- name: Set the queue host in a .env file (the key is appended if missing)
  tiersplit.maintenance.app_connection:
    path: /var/www/app/.env
    settings:
      QUEUE_HOST: 10.0.10.6
      QUEUE_PORT: 11300

- name: INI configuration (Phalcon\Config\Adapter\Ini, INI_SCANNER_RAW)
  tiersplit.maintenance.app_connection:
    path: /var/www/invo/app/config/config.ini
    settings:
      database.host: 10.0.10.5
    secrets:
      database.password: "{{ vault_app_db_password }}"

- name: INI configuration read with parse_ini_file() and its default mode
  tiersplit.maintenance.app_connection:
    path: /var/www/legacy/config.ini
    ini_reader: normal
    settings:
      database.host: 10.0.10.5
"""

RETURN = r"""
path:
  description: The configuration file.
  returned: always
  type: str
  sample: /var/www/app/app/config/config.php
format:
  description: The format the file was read as.
  returned: always
  type: str
  sample: php
changes:
  description: Every value changed or added, in O(path) or in O(env_file). Secret values are masked, and
    so are the passwords of URLs with credentials.
  returned: always
  type: list
  elements: dict
  sample:
    - {file: /var/www/app/app/config/config.php, key: database.host, old: localhost, new: 10.0.10.5, action: changed}
    - {file: /var/www/app/app/config/config.php, key: database.password, old: "********", new: "********",
       action: changed}
redirected:
  description: Keys whose value in O(path) is an expression; key and the environment variable set instead.
  returned: always
  type: dict
  sample: {database.host: DB_HOST}
read_back:
  description:
    - For each file that would change, how its new values were read back with PHP before anything was
      written (C(read back with php) and the reader) or why they were not (C(not read back) and the reason).
    - Empty when nothing changed or O(validate=false).
  returned: always
  type: dict
  sample: {/var/www/invo/app/config/config.ini: "read back with php: Phalcon's INI adapter (parse_ini_file with
    INI_SCANNER_RAW, then its casts)"}
backup_files:
  description: Backup copies made when O(backup=true), mode 0600, owned like the originals.
  returned: when a file was replaced and O(backup=true)
  type: list
  elements: str
  sample: [/var/www/app/app/config/config.php.12345.2024-01-01@10:00:00~]
connection_check:
  description: Result of the login test.
  returned: when O(connection_check) is set
  type: dict
  sample: {ok: true, server_version: 10.11.6-MariaDB-0+deb12u1}
"""

import contextlib  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import appconfig, mysqlconn  # noqa: E402

NEW_ENV_MODE = 0o640
BACKUP_MODE = 0o600
# php for the read-back: errors on stderr, no prepended or appended script of the host's php.ini
PHP_READBACK_ARGS = ("-d", "display_errors=stderr", "-d", "auto_prepend_file=", "-d", "auto_append_file=")


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def plan(fmt, text, values, secrets, env_file, ini_reader):
    """Work out the new text of the file and which keys go to the env file instead."""
    values = dict(values)
    redirected = {}
    while True:
        try:
            new, changes = appconfig.set_values(fmt, text, values, secrets, ini_reader)
            return new, changes, redirected
        except appconfig.NonLiteralError as e:
            movable = [item for item in e.nonliteral if item.env_keys] if env_file else []
            if not movable:
                raise
            # these go to the env file; any other key that cannot be set is named on the next pass
            for item in movable:
                redirected[item.key] = item.env_keys[0]
                del values[item.key]


def mask_change(change, path):
    key = change["key"]
    secret = () if not change["secret"] else (key,)
    return dict(file=path, key=key, action=change["action"], old=appconfig.public_value(key, change["old"], secret),
                new=appconfig.public_value(key, change["new"], secret))


def dotenv_vendor(path):
    """The vendor directory beside a .env file when it holds phpdotenv (its reader), else None."""
    vendor = os.path.join(os.path.dirname(os.path.abspath(path)), "vendor")
    return vendor if os.path.isfile(os.path.join(vendor, "vlucas", "phpdotenv", "src", "Dotenv.php")) else None


def check_with_php(module, php, path, fmt, text, values, ini_reader):
    """Before anything is written: php -l (PHP files), then the new values read back with PHP as the
    application reads them. Fails naming the keys PHP reads otherwise. Returns how it was read back."""
    if not php:
        module.warn(f"php is not installed on this host: the new content of {path} was not read back with PHP")
        return "not read back: php is not installed on this host"
    if fmt == "php":
        rc, out, err = module.run_command([php, "-l"], data=text, binary_data=True)
        if rc != 0:
            detail = (out + err).replace("Standard input code", path).strip()
            module.fail_json(msg=f"php -l rejects the new content of {path}; nothing was changed: {detail}", path=path)
    data = appconfig.readback_input(fmt, text, values, ini_reader, dotenv_vendor(path) if fmt == "env" else None)
    rc, out, err = module.run_command([php, *PHP_READBACK_ARGS, "-r", appconfig.READBACK_PHP], data=data,
                                      binary_data=True)
    try:
        if rc != 0:
            raise appconfig.ConfigError(f"php exited with {rc}: {err.strip()}")
        wrong, unavailable = appconfig.readback_result(fmt, out, values, ini_reader)
    except appconfig.ConfigError as e:
        module.fail_json(msg=f"{path}: the new content could not be read back with PHP; nothing was changed: "
                             f"{to_native(e)}", path=path)
    if wrong:
        module.fail_json(msg="{}: PHP ({}) reads {} otherwise than the value given; nothing was changed".format(
            path, appconfig.Reader(fmt, ini_reader).name, ", ".join(wrong)), path=path, keys=wrong)
    if unavailable:
        return f"not read back: {unavailable}"
    return appconfig.readback_description(fmt, ini_reader)


def private_backup(path):
    """A copy of path named as Ansible names backups (path.PID.YYYY-MM-DD@HH:MM:SS~), mode 0600 from its
    creation on, with the owner and group of the original."""
    st = os.stat(path)
    dest = "{}.{}.{}".format(path, os.getpid(), time.strftime("%Y-%m-%d@%H:%M:%S~", time.localtime()))
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE)
    try:
        with os.fdopen(fd, "wb") as dst:
            os.fchmod(dst.fileno(), BACKUP_MODE)
            with contextlib.suppress(PermissionError):  # not root: the backup stays the module user's, still 0600
                os.fchown(dst.fileno(), st.st_uid, st.st_gid)
            with open(path, "rb") as src:
                shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
    except BaseException:
        os.unlink(dest)
        raise
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    return dest


def _write_temp(path, text, mode=None, owner=None):
    """A temporary file beside path holding text: mode 0600 (or `mode`, set before the content is written)."""
    fd, tmp = tempfile.mkstemp(prefix=".tiersplit-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            if owner is not None:
                with contextlib.suppress(PermissionError):
                    os.fchown(f.fileno(), *owner)
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(text.encode("utf-8", "surrogateescape"))
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def replace_file(module, path, text):
    """Replace an existing file atomically, keeping its owner, group, mode and SELinux context.
    Returns the backup's path (O(backup)) or None."""
    tmp = _write_temp(path, text)
    try:
        backup = private_backup(path) if module.params["backup"] else None
        module.atomic_move(tmp, path)
        return backup
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def create_file(module, path, text, like):
    """Create path with mode 0640 and the owner and group of `like` from the start (set on the temporary
    file before its content is written), then rename it into place."""
    st = os.stat(like)
    tmp = _write_temp(path, text, mode=NEW_ENV_MODE, owner=(st.st_uid, st.st_gid))
    try:
        if module.selinux_enabled():
            module.set_context_if_different(tmp, module.selinux_default_context(path), False)
        os.rename(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def check_connection(module):
    spec = module.params["connection_check"]
    mysqlconn.require_pymysql(module)
    try:
        conn = mysqlconn.connect(user=spec["user"], password=spec.get("password"), host=spec.get("host"),
                                 port=spec.get("port") or 3306, unix_socket=spec.get("unix_socket"),
                                 database=spec.get("database"), connect_timeout=spec.get("connect_timeout") or 10)
    except Exception as e:  # pylint: disable=broad-except
        where = spec.get("host") or "the local socket"
        schema = " (database {})".format(spec["database"]) if spec.get("database") else ""
        module.fail_json(msg="connection check failed: {} could not log in to {}{}: {}; nothing was changed".format(
                         spec["user"], where, schema, to_native(e)),
                         connection_check=dict(ok=False, error=to_native(e)))
    try:
        cur = conn.cursor()
        cur.execute("SELECT VERSION()")
        version = cur.fetchone()[0]
    finally:
        conn.close()
    return dict(ok=True, server_version=version)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            format=dict(type="str", default="auto", choices=["auto", *list(appconfig.FORMATS)]),
            ini_reader=dict(type="str", default=appconfig.DEFAULT_INI_READER, choices=list(appconfig.INI_READERS)),
            settings=dict(type="dict", default={}),
            secrets=dict(type="dict", default={}, no_log=True),
            env_file=dict(type="path"),
            backup=dict(type="bool", default=False),
            validate=dict(type="bool", default=True),
            connection_check=dict(type="dict", options=dict(
                host=dict(type="str"),
                port=dict(type="int", default=3306),
                user=dict(type="str", required=True),
                password=dict(type="str", no_log=True),
                database=dict(type="str"),
                unix_socket=dict(type="path"),
                connect_timeout=dict(type="int", default=10),
            )),
        ),
        supports_check_mode=True,
        # The arguments are not written to the host's journal: settings may hold a secret by mistake.
        no_log=True,
    )
    p = module.params
    path = p["path"]
    reader = p["ini_reader"]
    settings = dict(p["settings"] or {})
    secrets = dict(p["secrets"] or {})
    # A secret passed under settings (a password, a salt, a URL with credentials) is hidden like the
    # values of secrets: Ansible masks these texts in everything the module returns, invocation included.
    module.no_log_values.update(appconfig.sensitive_values(settings))
    overlap = set(settings) & set(secrets)
    if overlap:
        module.fail_json(msg="keys given in both settings and secrets: {}".format(", ".join(sorted(overlap))))
    if not settings and not secrets:
        module.fail_json(msg="nothing to set: give settings or secrets")
    values = dict(settings)
    values.update(secrets)
    secret_keys = tuple(secrets)

    if not os.path.isfile(path):
        module.fail_json(msg=f"{path} does not exist or is not a regular file")
    text = read_text(path)
    try:
        fmt = appconfig.detect_format(path, text) if p["format"] == "auto" else p["format"]
        new, changes, redirected = plan(fmt, text, values, secret_keys, p["env_file"], reader)
    except appconfig.ConfigError as e:
        module.fail_json(msg=f"{path}: {to_native(e)}", path=path)

    env_file = p["env_file"]
    env_text = env_new = None
    env_values = {}
    env_changes = []
    env_exists = False
    env_secrets = ()
    if redirected:
        env_exists = os.path.isfile(env_file)
        env_text = read_text(env_file) if env_exists else ""
        env_values = dict((redirected[k], values[k]) for k in redirected)
        env_secrets = tuple(redirected[k] for k in redirected if appconfig.is_secret(k, secret_keys))
        try:
            env_new, env_changes = appconfig.set_values("env", env_text, env_values, env_secrets)
        except appconfig.ConfigError as e:
            module.fail_json(msg=f"{env_file}: {to_native(e)}", path=path)
        for c in env_changes:
            c["secret"] = c["secret"] or c["key"] in env_secrets

    result = dict(
        changed=bool(changes or env_changes),
        path=path,
        format=fmt,
        redirected=redirected,
        changes=[mask_change(c, path) for c in changes] + [mask_change(c, env_file) for c in env_changes],
        read_back={},
    )

    if p["connection_check"]:
        result["connection_check"] = check_connection(module)

    # Everything is checked before any file is written: a failure leaves both files as they were.
    if result["changed"] and p["validate"]:
        php = module.get_bin_path("php")
        if changes:
            own = dict((k, v) for k, v in values.items() if k not in redirected)
            result["read_back"][path] = check_with_php(module, php, path, fmt, new, own, reader)
        if env_changes:
            result["read_back"][env_file] = check_with_php(module, php, env_file, "env", env_new, env_values, reader)

    if module._diff and result["changed"]:
        diffs = []
        if changes:
            diffs.append(dict(prepared=appconfig.masked_diff(
                fmt, text, new, secret_keys, reader, changed=[c["key"] for c in changes],
                before_header=path, after_header=path)))
        if env_changes:
            diffs.append(dict(prepared=appconfig.masked_diff(
                "env", env_text, env_new, env_secrets, changed=[c["key"] for c in env_changes],
                before_header=env_file if env_exists else "/dev/null", after_header=env_file)))
        result["diff"] = diffs

    if result["changed"] and not module.check_mode:
        backups = []
        if changes:
            backups.append(replace_file(module, path, new))
        if env_changes:
            if env_exists:
                backups.append(replace_file(module, env_file, env_new))
            else:
                # a new .env file gets the owner and group of the configuration file it serves
                create_file(module, env_file, env_new, like=path)
        backups = [b for b in backups if b]
        if backups:
            result["backup_files"] = backups

    module.exit_json(**result)


if __name__ == "__main__":
    main()
