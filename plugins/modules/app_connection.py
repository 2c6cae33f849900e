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
  - The new content is checked before it replaces the file. The module re-reads it and compares every
    value with the old one (only the requested ones may differ), parses JSON, YAML and INI with an
    independent parser, and runs C(php -l) on PHP files when PHP is installed. It then replaces the
    file atomically, keeping its owner, group, mode and SELinux context.
  - Values of secret keys (O(secrets), and any key whose last part looks like a password, secret,
    token or key) never appear in the module's output or diff.
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
  settings:
    description:
      - Keys and the values to set. Numbers stay numbers where the file holds a number; strings keep
        the file's quoting style.
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
        set in this file instead of failing. Created if missing, with mode 0640 and the owner and group of O(path).
    type: path
  backup:
    description:
      - Keep a timestamped copy of every file the module replaces.
    type: bool
    default: false
  validate:
    description:
      - Run C(php -l) on the new PHP file before replacing the old one (skipped with a warning when no
        C(php) binary is found). The module's own re-read checks always run.
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
    description: Reports the changes (and the diff) without writing anything.
  diff_mode:
    support: full
    description: Shows the old and new file content with secret values masked.
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

- name: INI configuration (Phalcon\Config\Adapter\Ini)
  tiersplit.maintenance.app_connection:
    path: /var/www/invo/app/config/config.ini
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
  description: Every value changed or added, in O(path) or in O(env_file). Secret values are masked.
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
backup_files:
  description: Backup copies made when O(backup=true).
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

import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.common.text.converters import to_native  # noqa: E402
from ansible_collections.tiersplit.maintenance.plugins.module_utils import appconfig, mysqlconn  # noqa: E402


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def plan(fmt, text, values, secrets, env_file):
    """Work out the new text of the file and which keys go to the env file instead."""
    values = dict(values)
    redirected = {}
    while True:
        try:
            new, changes = appconfig.set_values(fmt, text, values, secrets)
            return new, changes, redirected
        except appconfig.NonLiteralError as e:
            if not env_file or not e.env_keys:
                raise
            redirected[e.key] = e.env_keys[0]
            del values[e.key]


def mask_change(change, path):
    out = dict(file=path, key=change["key"], action=change["action"], old=change["old"], new=change["new"])
    if change["secret"]:
        out["old"] = None if change["old"] is None else appconfig.MASK
        out["new"] = appconfig.MASK
    return out


def write_file(module, path, text, fmt, new_file=None):
    """Validate the new text, then replace the file atomically. Returns the backup path or None."""
    dirname = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tiersplit-", dir=dirname)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8", "surrogateescape"))
        if fmt == "php" and module.params["validate"]:
            php = module.get_bin_path("php")
            if php:
                rc, out, err = module.run_command([php, "-l", tmp])
                if rc != 0:
                    detail = (out + err).replace(tmp, path).strip()
                    module.fail_json(msg=f"php -l rejects the new content of {path}; nothing was changed: {detail}")
            else:
                module.warn(f"php is not installed on this host: {path} was not checked with php -l")
        backup = None
        if not new_file and module.params["backup"]:
            backup = module.backup_local(path)
        module.atomic_move(tmp, path)
        if new_file:
            # a new .env file gets the owner and group of the configuration file it serves
            st = os.stat(new_file)
            os.chown(path, st.st_uid, st.st_gid)
            os.chmod(path, 0o640)
        return backup
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
    )
    p = module.params
    path = p["path"]
    settings = dict(p["settings"] or {})
    secrets = dict(p["secrets"] or {})
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
        new, changes, redirected = plan(fmt, text, values, secret_keys, p["env_file"])
    except appconfig.ConfigError as e:
        module.fail_json(msg=f"{path}: {to_native(e)}", path=path)

    env_file = p["env_file"]
    env_text = env_new = None
    env_changes = []
    env_exists = False
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
    else:
        env_secrets = ()

    result = dict(
        changed=bool(changes or env_changes),
        path=path,
        format=fmt,
        redirected=redirected,
        changes=[mask_change(c, path) for c in changes] + [mask_change(c, env_file) for c in env_changes],
    )

    if p["connection_check"]:
        result["connection_check"] = check_connection(module)

    if module._diff and result["changed"]:
        diffs = []
        if changes:
            diffs.append(dict(before_header=path, after_header=path,
                              before=appconfig.masked(fmt, text, secret_keys),
                              after=appconfig.masked(fmt, new, secret_keys)))
        if env_changes:
            diffs.append(dict(before_header=env_file if env_exists else "/dev/null", after_header=env_file,
                              before=appconfig.masked("env", env_text, env_secrets),
                              after=appconfig.masked("env", env_new, env_secrets)))
        result["diff"] = diffs

    if result["changed"] and not module.check_mode:
        backups = []
        if changes:
            b = write_file(module, path, new, fmt)
            if b:
                backups.append(b)
        if env_changes:
            b = write_file(module, env_file, env_new, "env", new_file=None if env_exists else path)
            if b:
                backups.append(b)
        if backups:
            result["backup_files"] = backups

    module.exit_json(**result)


if __name__ == "__main__":
    main()
