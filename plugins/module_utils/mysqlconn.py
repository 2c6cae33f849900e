# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small PyMySQL connector shared by the tiersplit modules."""


import os
import time
import traceback

PYMYSQL_IMPORT_ERROR = None
try:
    import pymysql
    import pymysql.cursors
except ImportError:  # pragma: no cover - depends on the host
    pymysql = None
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()

SOCKET_CANDIDATES = (
    "/run/mysqld/mysqld.sock",
    "/var/run/mysqld/mysqld.sock",
    "/var/lib/mysql/mysql.sock",
    "/tmp/mysql.sock",
)

PYMYSQL_HINT = ("the Python library PyMySQL is required on the managed host "
                "(Debian/Ubuntu: apt-get install python3-pymysql; elsewhere: pip install PyMySQL)")


def login_argument_spec():
    return dict(
        login_user=dict(type="str", default="root"),
        login_password=dict(type="str", no_log=True),
        login_host=dict(type="str"),
        login_port=dict(type="int", default=3306),
        login_unix_socket=dict(type="path"),
        config_file=dict(type="path", default="~/.my.cnf"),
        connect_timeout=dict(type="int", default=10),
    )


def require_pymysql(module):
    if pymysql is None:
        from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel
        module.fail_json(msg=missing_required_lib("PyMySQL", reason=PYMYSQL_HINT), exception=PYMYSQL_IMPORT_ERROR)


def open_for(module):
    """The connection a module's login options describe; fails the module when PyMySQL or the server is missing."""
    require_pymysql(module)
    try:
        return connect_from_params(module.params)
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg=f"cannot connect to the server: {e}")


def default_socket():
    for path in SOCKET_CANDIDATES:
        if os.path.exists(path):
            return path
    return None


def connect(user="root", password=None, host=None, port=3306, unix_socket=None, database=None,
            config_file=None, connect_timeout=10):
    """Open a PyMySQL connection; the local socket is used when no host is given."""
    if pymysql is None:
        raise RuntimeError(PYMYSQL_HINT)
    kwargs = dict(user=user, charset="utf8mb4", connect_timeout=connect_timeout, autocommit=True,
                  cursorclass=pymysql.cursors.Cursor)
    if password is not None:
        kwargs["password"] = password
    if database:
        kwargs["database"] = database
    if host and host not in ("localhost",):
        kwargs["host"] = host
        kwargs["port"] = port
    else:
        sock = unix_socket or default_socket()
        if sock:
            kwargs["unix_socket"] = sock
        else:
            kwargs["host"] = "localhost"
            kwargs["port"] = port
    if config_file:
        path = os.path.expanduser(config_file)
        if os.path.isfile(path) and password is None:
            kwargs["read_default_file"] = path
    return pymysql.connect(**kwargs)


def connect_from_params(params):
    return connect(user=params.get("login_user"), password=params.get("login_password"),
                   host=params.get("login_host"), port=params.get("login_port") or 3306,
                   unix_socket=params.get("login_unix_socket"), config_file=params.get("config_file"),
                   connect_timeout=params.get("connect_timeout") or 10)


def wait_for_server(params, timeout, probe="SELECT 1", clock=time.time, sleep=time.sleep, opener=None):
    """Connect until the server answers probe or timeout seconds pass.

    Returns the open connection; raises RuntimeError with the last error.
    """
    opener = opener or connect_from_params
    deadline = clock() + timeout
    last = None
    while True:
        try:
            conn = opener(params)
            try:
                with conn.cursor() as cur:
                    cur.execute(probe)
            except Exception:
                conn.close()
                raise
            return conn
        except Exception as e:  # pylint: disable=broad-except
            last = e
        if clock() >= deadline:
            raise RuntimeError(f"the server did not answer within {timeout} s: {last}")
        sleep(0.05)
