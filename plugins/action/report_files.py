# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin report_files: text files written on the controller itself, in the task's own
process (no module is sent anywhere: a task delegated to localhost costs a module run per file)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.action import ActionBase


def _mode(value, name: str) -> int:
    try:
        return int(str(value), 8)
    except ValueError as e:
        raise AnsibleActionFail(f"{name} must be an octal mode such as '0644', not {value!r}") from e


def write(path: str, content: str, mode: int, check: bool) -> bool:
    """The file with exactly this content and mode; written beside it and renamed over it."""
    data = to_bytes(content)
    try:
        with open(path, "rb") as f:
            same = f.read() == data
        if same and (os.stat(path).st_mode & 0o7777) == mode:
            return False
    except FileNotFoundError:
        pass
    if check:
        return True
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dir", "files", "mode", "dir_mode"))
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        directory = args.get("dir")
        files = args.get("files")
        if not directory or not isinstance(files, dict) or not files:
            raise AnsibleActionFail("report_files needs dir (a directory) and files (file name -> content)")
        directory = os.path.abspath(os.path.expanduser(str(directory)))
        mode = _mode(args.get("mode", "0644"), "mode")
        dir_mode = _mode(args.get("dir_mode", "0755"), "dir_mode")
        check = bool(self._task.check_mode)
        changed: list[str] = []
        try:
            if not os.path.isdir(directory):
                changed.append(directory)
                if not check:
                    os.makedirs(directory, mode=dir_mode, exist_ok=True)
            for name, content in files.items():
                if os.sep in str(name) or str(name) in ("", ".", ".."):
                    raise AnsibleActionFail(f"report_files: {name!r} is not a file name")
                path = os.path.join(directory, str(name))
                if write(path, "" if content is None else str(content), mode, check or path in changed):
                    changed.append(path)
        except OSError as e:
            raise AnsibleActionFail(f"report_files: {to_native(e)}") from e
        result.update(changed=bool(changed), paths=[os.path.join(directory, str(n)) for n in files],
                      written=changed)
        return result
