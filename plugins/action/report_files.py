# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin report_files: text files written on the controller itself, in the task's own
process (no module is sent anywhere: a task delegated to localhost costs a module run per file)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible_collections.tiersplit.maintenance.plugins.module_utils import datadir, hostsetup


def _mode(value, name: str) -> int:
    try:
        return datadir.parse_mode(value, name)
    except ValueError as e:
        raise AnsibleActionFail(str(e)) from e


def write(path: str, content: str, mode: int, check: bool) -> bool:
    """The file with exactly this content and mode, owned by the controller's user (hostsetup.ensure_file:
    written beside it, flushed and renamed over it)."""
    try:
        return hostsetup.ensure_file(path, content, mode, str(os.getuid()), str(os.getgid()), check)
    except hostsetup.SetupError as e:
        raise AnsibleActionFail(f"report_files: {e}") from e


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
                if write(path, "" if content is None else str(content), mode, check):
                    changed.append(path)
        except OSError as e:
            raise AnsibleActionFail(f"report_files: {to_native(e)}") from e
        result.update(changed=bool(changed), paths=[os.path.join(directory, str(n)) for n in files],
                      written=changed)
        return result
