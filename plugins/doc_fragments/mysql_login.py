# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_user:
    description:
      - User to log in as. On Debian and Ubuntu, C(root) logs in through the local socket without a
        password (unix_socket authentication) when the module runs as root.
    type: str
    default: root
  login_password:
    description:
      - Password of O(login_user). When omitted and O(config_file) exists, the client settings in it are used.
    type: str
  login_host:
    description:
      - Host to connect to over TCP. When omitted (or C(localhost)), the module uses the local socket.
    type: str
  login_port:
    description:
      - TCP port, with O(login_host).
    type: int
    default: 3306
  login_unix_socket:
    description:
      - Socket to use. When omitted, the first existing one of C(/run/mysqld/mysqld.sock),
        C(/var/run/mysqld/mysqld.sock), C(/var/lib/mysql/mysql.sock) and C(/tmp/mysql.sock).
    type: path
  config_file:
    description:
      - Client option file read for credentials when O(login_password) is not given (if it exists).
    type: path
    default: ~/.my.cnf
  connect_timeout:
    description:
      - Seconds to wait for the server.
    type: int
    default: 10
requirements:
  - PyMySQL on the managed host (Debian and Ubuntu package C(python3-pymysql)).
"""
