#!/usr/bin/env python3
"""Benchmark: datadir_permissions' repair pass against chown -R plus find -exec chmod {} +.

Builds a tree of N files (default 200,000) with wrong owners and modes in a temp dir, makes two
identical copies with `cp -a`, then times on one copy the module's core function
(plugins/module_utils/datadir.py repair(), called directly) and on the other the shell way:

    chown -R OWNER:GROUP tree
    find tree -type d -exec chmod 0750 {} +
    find tree -type f -exec chmod 0640 {} +

Both start with a warm cache (each copy is listed once before it is timed). A second module run on the
repaired tree (nothing to change) is timed too. Run as root; not part of CI.

    python3 bench/datadir_permissions.py [--files 200000] [--dirs 200] [--owner nobody --group nogroup]
"""

import argparse
import grp
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "datadir", os.path.join(HERE, "..", "plugins", "module_utils", "datadir.py"))
datadir = importlib.util.module_from_spec(spec)
spec.loader.exec_module(datadir)


def build(root, files, dirs):
    per_dir = files // dirs
    n = 0
    for d in range(dirs):
        path = os.path.join(root, f"schema_{d:03d}")
        os.mkdir(path, 0o755)
        for f in range(per_dir if d < dirs - 1 else files - n):
            name = os.path.join(path, f"t{f:05d}.ibd")
            fd = os.open(name, os.O_CREAT | os.O_WRONLY, 0o644)
            os.close(fd)
            n += 1
    for name in ("ibdata1", "ib_logfile0", "aria_log_control"):
        with open(os.path.join(root, name), "wb") as fh:
            fh.write(b"\0" * 4096)
    return n


def warm(path):
    subprocess.run(["find", path], stdout=subprocess.DEVNULL, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200000)
    ap.add_argument("--dirs", type=int, default=200)
    ap.add_argument("--owner", default="nobody")
    ap.add_argument("--group", default="nogroup")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    uid = pwd.getpwnam(args.owner).pw_uid
    gid = grp.getgrnam(args.group).gr_gid
    base = tempfile.mkdtemp(prefix="tiersplit-bench-")
    try:
        src = os.path.join(base, "src")
        os.mkdir(src, 0o755)
        t0 = time.monotonic()
        n = build(src, args.files, args.dirs)
        print(f"built {n} files in {args.dirs} directories in {time.monotonic() - t0:.1f} s "
              "(owner root:root, modes 0755/0644)")
        mod_times, shell_times, rerun_times = [], [], []
        for r in range(args.rounds):
            a = os.path.join(base, "a")
            b = os.path.join(base, "b")
            for path in (a, b):
                if os.path.exists(path):
                    shutil.rmtree(path)
                subprocess.run(["cp", "-a", src, path], check=True)

            warm(a)
            t0 = time.monotonic()
            res = datadir.repair(a, uid, gid, 0o750, 0o640)
            mod_times.append(time.monotonic() - t0)
            assert res.changed_paths == n + 3 + args.dirs + 1, res.as_dict()

            t0 = time.monotonic()
            res2 = datadir.repair(a, uid, gid, 0o750, 0o640)
            rerun_times.append(time.monotonic() - t0)
            assert res2.changed_paths == 0

            warm(b)
            t0 = time.monotonic()
            subprocess.run(["chown", "-R", f"{args.owner}:{args.group}", b], check=True)
            subprocess.run(["find", b, "-type", "d", "-exec", "chmod", "0750", "{}", "+"], check=True)
            subprocess.run(["find", b, "-type", "f", "-exec", "chmod", "0640", "{}", "+"], check=True)
            shell_times.append(time.monotonic() - t0)
            print(f"round {r + 1}: module {mod_times[-1]:.2f} s, chown -R + find -exec chmod {{}} + "
                  f"{shell_times[-1]:.2f} s, module rerun {rerun_times[-1]:.2f} s")
        m, s, rr = min(mod_times), min(shell_times), min(rerun_times)
        print(f"best of {args.rounds}: module {m:.2f} s, shell {s:.2f} s, ratio module/shell {m / s:.2f} "
              f"(limit 1.5); rerun {rr:.2f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
