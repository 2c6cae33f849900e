#!/usr/bin/python
# Copyright: tiersplit developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
---
module: report_files
short_description: Write text files on the controller, in the task's own process
version_added: "0.4.0"
description:
  - Writes each of O(files) into O(dir) on the controller (made when missing), replacing a file only
    when its content or mode differs; a file is written beside its path and renamed over it.
  - An action plugin. It runs in the controller's task process and sends no module anywhere, where
    C(ansible.builtin.copy) delegated to C(localhost) runs two or three modules per file.
  - Used by the role C(tiersplit.maintenance.datadir_migration) for its reports.
author:
  - tiersplit developers (@tiersplit)
options:
  dir:
    description: The directory on the controller (relative paths are relative to the working directory).
    type: path
    required: true
  files:
    description: File name (no directory part) to its text.
    type: dict
    required: true
  mode:
    description: Mode of the files.
    type: str
    default: "0644"
  dir_mode:
    description: Mode of O(dir) when it is made.
    type: str
    default: "0755"
attributes:
  action:
    support: full
    description: Runs on the controller only.
  check_mode:
    support: full
    description: Reports which files would be written; writes nothing.
  diff_mode:
    support: none
    description: No diff is returned.
  platform:
    support: full
    platforms: posix
    description: The controller's file system.
"""

EXAMPLES = r"""
- name: Report on the controller
  tiersplit.maintenance.report_files:
    dir: "{{ playbook_dir }}/tiersplit-reports"
    files:
      app-to-db-stage1.json: "{{ report | to_nice_json }}\n"
      app-to-db-stage1.txt: "{{ summary }}\n"
"""

RETURN = r"""
paths:
  description: The files, written or found equal.
  returned: always
  type: list
  elements: str
written:
  description: The files (and the directory) written, or that would be in check mode.
  returned: always
  type: list
  elements: str
"""
