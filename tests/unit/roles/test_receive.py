"""The temporary key's forced command (datadir_migration templates/receive.sh.j2).

It must run exactly the command lines the role built and refuse everything
else. The rsync tests run a real rsync client whose remote shell is a stand-in
for ssh plus sshd: it sets SSH_ORIGINAL_COMMAND as sshd does (the words joined
by spaces) and runs the receiver, so what is accepted or refused is what the
receiver itself decides.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import jinja2
import jinja2.nativetypes
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[3] / "roles" / "datadir_migration"
RSYNC = shutil.which("rsync")
needs_rsync = pytest.mark.skipif(RSYNC is None, reason="rsync is not installed")


def role_rsync_opts(**values: object) -> dict[str, list[str]]:
    """The role's __datadir_migration_rsync_opts, rendered as Ansible would."""
    data = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())
    env = jinja2.nativetypes.NativeEnvironment()
    context = {
        "__datadir_migration_marker": data["__datadir_migration_marker"],
        "datadir_migration_bandwidth_limit": 0,
        "datadir_migration_compression": "none",
        **values,
    }
    common = env.from_string(data["__datadir_migration_rsync_opts_common"]).render(**context)
    context["__datadir_migration_rsync_opts_common"] = common
    return {p: env.from_string(v).render(**context) for p, v in data["__datadir_migration_rsync_opts"].items()}


def server_line(tmp: Path, opts: list[str], incoming: Path) -> str:
    """What the rsync client sends for these options (the role's trick in key.yml)."""
    rsh = tmp / "print-rsh"
    rsh.write_text('#!/bin/sh\nshift\nprintf \'%s\\n\' "$*" >"$TIERSPLIT_RSH_OUT"\n')
    src = tmp / "empty"
    src.mkdir(exist_ok=True)
    out = tmp / "line"
    subprocess.run(
        [RSYNC, *opts, "-e", f"/bin/sh {rsh}", f"{src}/", f"target:{incoming}/"],
        env={**os.environ, "TIERSPLIT_RSH_OUT": str(out)},
        capture_output=True,
        check=False,
    )
    return out.read_text().rstrip("\n")


def render(tmp: Path, incoming: Path, rsync_lines: list[str], method: str = "rsync", compression: str = "none") -> Path:
    env = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["quote"] = shlex.quote
    text = env.from_string((ROLE / "templates" / "receive.sh.j2").read_text()).render(
        ansible_managed="test",
        datadir_migration_id="app-to-db",
        datadir_migration_compression=compression,
        __datadir_migration_incoming=str(incoming),
        __datadir_migration_receiver_rsync=rsync_lines,
        __datadir_migration_method=method,
    )
    receiver = tmp / "receive"
    receiver.write_text(text)
    receiver.chmod(0o700)
    return receiver


def run(receiver: Path, command: str, path: str | None = None, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {**os.environ, "SSH_ORIGINAL_COMMAND": command}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(["bash", str(receiver)], env=env, input=stdin, capture_output=True, check=False)


@pytest.fixture
def lab(tmp_path: Path) -> dict[str, Path]:
    """An incoming directory, a small source tree and an ssh stand-in that runs the receiver."""
    incoming = tmp_path / "data.tiersplit-incoming"
    source = tmp_path / "source"
    (source / "db").mkdir(parents=True)
    (source / "db" / "t.ibd").write_bytes(b"x" * 4096)
    (source / "ibdata1").write_bytes(b"y" * 1024)
    ssh = tmp_path / "ssh"
    ssh.write_text('#!/bin/sh\nshift\nSSH_ORIGINAL_COMMAND="$*" exec bash "$TIERSPLIT_RECEIVER"\n')
    ssh.chmod(0o700)
    return {"tmp": tmp_path, "incoming": incoming, "source": source, "ssh": ssh}


def push(lab: dict[str, Path], receiver: Path, opts: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [RSYNC, *opts, "-e", str(lab["ssh"]), f"{lab['source']}/", f"target:{lab['incoming']}/"],
        env={**os.environ, "TIERSPLIT_RECEIVER": str(receiver)},
        capture_output=True,
        check=False,
        timeout=60,
    )


def files_under(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def test_the_role_options_are_the_copy_options() -> None:
    opts = role_rsync_opts()
    assert set(opts) == {"live", "final"}
    base = ["-a", "--delete", "--partial", "--numeric-ids", "--modify-window=-1", "--no-inc-recursive"]
    assert opts["live"][:6] == base
    assert "--exclude=/.tiersplit-migration" in opts["final"]
    # the final pass (source stopped) compares contents; the live passes size and time
    assert "--checksum" in opts["final"] and "--checksum" not in opts["live"]
    limited = role_rsync_opts(datadir_migration_bandwidth_limit="10m", datadir_migration_compression="zstd")
    assert "--bwlimit=10m" in limited["live"]
    assert limited["live"][-2:] == ["--compress", "--compress-choice=zstd"]


@needs_rsync
@pytest.mark.parametrize("pass_", ["live", "final"])
def test_the_exact_line_copies_into_incoming(lab: dict[str, Path], pass_: str) -> None:
    opts = role_rsync_opts()[pass_]
    line = server_line(lab["tmp"], opts, lab["incoming"])
    assert line.startswith("rsync --server ") and line.endswith(f" . {lab['incoming']}/")
    receiver = render(lab["tmp"], lab["incoming"], [line])
    result = push(lab, receiver, opts)
    assert result.returncode == 0, result.stderr
    assert files_under(lab["incoming"]) == {"db", "db/t.ibd", "ibdata1"}


@needs_rsync
@pytest.mark.parametrize(
    "extra",
    [
        ["--backup", "--backup-dir={tmp}/x"],
        ["--remote-option=--log-file={tmp}/y"],
        ["--remote-option=--write-devices"],
        ["--checksum"],
    ],
)
def test_other_options_are_refused_and_write_nothing(lab: dict[str, Path], extra: list[str]) -> None:
    opts = role_rsync_opts()["live"]
    receiver = render(lab["tmp"], lab["incoming"], [server_line(lab["tmp"], opts, lab["incoming"])])
    before = files_under(lab["tmp"])
    result = push(lab, receiver, opts + [e.format(tmp=lab["tmp"]) for e in extra])
    assert result.returncode != 0
    assert b"refused command" in result.stderr
    assert files_under(lab["tmp"]) == before
    assert not (lab["tmp"] / "x").exists() and not (lab["tmp"] / "y").exists()


@pytest.mark.parametrize(
    "command",
    [
        "",
        "rsync --server -logDtpre.iLsfxCIvu --delete . {incoming}/",
        "{line} --backup-dir=/tmp/x",
        "{line} ",
        " {line}",
        "{line};touch /tmp/z",
        "rsync --server --sender -logDtpre.iLsfxCIvu . /etc/",
        "receive-tar zstd",
        "receive-xbstream none",
        "check extra",
        "sh -c id",
    ],
)
def test_anything_but_the_exact_lines_is_refused(tmp_path: Path, command: str) -> None:
    incoming = tmp_path / "incoming"
    line = "rsync --server -logDtpre.iLsfxCIvu --delete --partial . " + f"{incoming}/"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    called = tmp_path / "called"
    for tool in ("rsync", "tar", "mbstream", "zstd", "sh", "id", "touch"):
        (bin_dir / tool).write_text(f'#!/bin/bash\necho {tool} "$@" >>{called}\n')
        (bin_dir / tool).chmod(0o700)
    receiver = render(tmp_path, incoming, [line], method="rsync")
    result = run(receiver, command.format(line=line, incoming=incoming), path=f"{bin_dir}:/usr/bin:/bin")
    assert result.returncode == 126
    assert b"refused command for app-to-db" in result.stderr
    assert not called.exists()


def test_check_answers_ok(tmp_path: Path) -> None:
    result = run(render(tmp_path, tmp_path / "in", []), "check")
    assert (result.returncode, result.stdout) == (0, b"ok\n")


def test_a_cold_run_receives_its_tar_only(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "ibdata1").write_bytes(b"z" * 100)
    archive = subprocess.run(["tar", "-c", "-C", str(tmp_path / "src"), "."], capture_output=True, check=True).stdout
    receiver = render(tmp_path, incoming, [], method="cold", compression="none")
    assert run(receiver, "receive-tar none", stdin=archive).returncode == 0
    assert (incoming / "ibdata1").read_bytes() == b"z" * 100
    assert run(receiver, "receive-xbstream none").returncode == 126
    assert run(receiver, "rsync --server -logDtpre.iLsfxCIvu . " + f"{incoming}/").returncode == 126
