"""An honest auth-refused diagnosis: ranked causes from the client, one cause after a look.

One real sshd refuses nine real accounts, each for one known reason (tests/fixtures/
diagnosis_servers.py). Without inspection the diagnosis must rank the true cause among the
possible ones and assert none as fact; with ``--inspect-with-password`` (a uid-0 inspector) it
must name exactly the true cause, change nothing on the server, and never print the password.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.diagnosis_servers import CASES, RefusingServer
from tests.fixtures.sshd import account_tool

RunCli = Callable[..., subprocess.CompletedProcess[str]]

TRUE_CAUSE = {
    "missing": "key-not-authorized",
    "group-writable": "strict-modes",
    "home-0777": "strict-modes",
    "denied": "account-not-allowed",
    "not-allowed": "account-not-allowed",
    "locked": "account-not-allowed",
    "expired": "account-not-allowed",
    "root": "root-login-refused",
    "rsa": "algorithm-not-accepted",
}
# what sshd itself logged for each refusal: the oracle that the fixture made the right server
SSHD_SAYS = {
    "group-writable": "bad ownership or modes for file",
    "home-0777": "bad ownership or modes for directory",
    "denied": "because listed in DenyUsers",
    "not-allowed": "because not listed in AllowUsers",
    "locked": "because account is locked",
    "expired": "has expired",
    "root": "ROOT LOGIN REFUSED",
    "rsa": "not in PubkeyAcceptedAlgorithms",
}


def _test(run_cli: RunCli, rs: RefusingServer, case: str, *extra: str, **kw: Any) -> Any:
    done = run_cli(
        "test", rs.target(case), "-p", str(rs.server.port), "-i", str(rs.keys[case]),
        "-o", f"UserKnownHostsFile={rs.known_hosts}", "--json", *extra, **kw,
    )  # fmt: skip
    assert done.returncode == 255, done.stderr
    return json.loads(done.stdout), done


def _snapshot(rs: RefusingServer) -> dict[str, tuple[int, int, int, int]]:
    """mode, owner, size and mtime of every home, ~/.ssh and authorized_keys, and sshd_config."""
    paths = [rs.server.config_path]
    for user in rs.users.values():
        paths += [user.home, user.home / ".ssh", user.home / ".ssh" / "authorized_keys"]
    found = {}
    for path in paths:
        st = os.stat(path)
        found[str(path)] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns)
    return found


def test_ranked_causes_without_a_look(refusing_server: RefusingServer, run_cli: RunCli) -> None:
    rs = refusing_server
    for case in CASES:
        engine = ("--engine", "openssh") if case in ("group-writable", "rsa", "root") else ()
        doc, _done = _test(run_cli, rs, case, *engine)
        assert doc["outcome"] == "auth-failed", (case, doc["diagnosis"])
        codes = [c["code"] for c in doc["causes"]]
        assert TRUE_CAUSE[case] in codes, (case, codes)
        assert not any(c["confirmed"] for c in doc["causes"])
        # the facts come first and name no cause; the causes are offered as possibilities
        facts, _, ranked = doc["diagnosis"].partition("possible causes")
        assert ranked and "is not in" not in facts and "because" not in facts, doc["diagnosis"]
        assert str(rs.keys[case]) in facts and "SHA256:" in facts
        assert "journalctl -u ssh" in doc["fix"]
    log = rs.server.log_text()
    for case, words in SSHD_SAYS.items():
        assert words in log, (case, words)


@pytest.mark.parametrize("engine", ["asyncssh", "openssh"])
def test_a_look_names_the_one_cause(
    refusing_server: RefusingServer, run_cli: RunCli, engine: str
) -> None:
    rs = refusing_server
    before = _snapshot(rs)
    cases = CASES if engine == "asyncssh" else ("group-writable", "denied", "rsa")
    for case in cases:
        doc, done = _test(
            run_cli, rs, case, "--engine", engine, "--inspect-with-password",
            "--inspect-user", rs.inspector.name, input=rs.inspector.password + "\n",
        )  # fmt: skip
        assert doc["inspection"]["login"] is True, (case, doc["diagnosis"])
        assert [c["code"] for c in doc["causes"]] == [TRUE_CAUSE[case]], (case, doc["diagnosis"])
        assert doc["causes"][0]["confirmed"] is True
        if case == "denied":  # the sshd log lines of the attempt were read too, escaped
            assert any("listed in DenyUsers" in line for line in doc["inspection"]["log"])
        assert rs.inspector.password not in done.stdout + done.stderr
        assert doc["diagnosis"] in done.stderr.replace("\n", " ") or doc["fix"]
    assert _snapshot(rs) == before  # read-only: nothing on the server changed


def test_a_look_says_what_to_fix(refusing_server: RefusingServer, run_cli: RunCli) -> None:
    rs = refusing_server
    gw = rs.users["group-writable"]
    doc, _ = _test(
        run_cli, rs, "group-writable", "--inspect-with-password", "--inspect-user",
        rs.inspector.name, input=rs.inspector.password + "\n",
    )  # fmt: skip
    akf = gw.home / ".ssh" / "authorized_keys"
    assert f"sshd ignores {akf} because it is group-writable" in doc["diagnosis"]
    assert f"chmod 600 {akf}" in doc["fix"]
    doc, _ = _test(
        run_cli, rs, "home-0777", "--inspect-with-password", "--inspect-user",
        rs.inspector.name, input=rs.inspector.password + "\n",
    )  # fmt: skip
    home = rs.users["home-0777"].home
    assert f"{home} is writable by every user" in doc["diagnosis"]
    assert f"chmod go-w {home}" in doc["fix"]
    # the same user with its own password can look too (no sshd -T, but stat and the file)
    missing = rs.users["missing"]
    doc, _ = _test(run_cli, rs, "missing", "--inspect-with-password",
                   input=missing.password + "\n")  # fmt: skip
    assert doc["inspection"]["privileged"] is False
    assert doc["causes"][0]["code"] == "key-not-authorized"
    assert str(missing.home / ".ssh" / "authorized_keys") in doc["diagnosis"]
    # without root, AuthorizedKeysFile and StrictModes are sshd's defaults, not facts read
    assert doc["causes"][0]["confirmed"] is False and len(doc["causes"]) > 1
    doc, _ = _test(run_cli, rs, "group-writable", "--inspect-with-password",
                   input=gw.password + "\n")  # fmt: skip
    assert doc["causes"][0]["code"] == "strict-modes" and not doc["causes"][0]["confirmed"]
    assert "if StrictModes is on" in doc["diagnosis"]


def test_a_wrong_inspection_password_keeps_the_ranking(
    refusing_server: RefusingServer, run_cli: RunCli
) -> None:
    rs = refusing_server
    doc, done = _test(
        run_cli, rs, "denied", "--inspect-with-password", "--inspect-user", rs.inspector.name,
        input="not-the-password\n",
    )  # fmt: skip
    assert doc["inspection"]["login"] is False
    assert len(doc["causes"]) > 1 and not any(c["confirmed"] for c in doc["causes"])
    assert "not-the-password" not in done.stdout + done.stderr


def test_inspect_usage_errors(run_cli: RunCli, tmp_path: Path) -> None:
    both = run_cli("test", "u@127.0.0.1", "--inspect-with-password", "--inspect-with",
                   str(tmp_path / "nope"))  # fmt: skip
    assert both.returncode == 2 and both.stderr.count("\n") == 1
    alone = run_cli("test", "u@127.0.0.1", "--inspect-user", "root")
    assert alone.returncode == 2 and "--inspect-with" in alone.stderr
    empty = run_cli("test", "u@127.0.0.1", "--inspect-with-password", input="")
    assert empty.returncode == 2 and "standard input" in empty.stderr


def test_a_look_shows_hostile_file_text_escaped(
    refusing_server: RefusingServer, run_cli: RunCli
) -> None:
    """A from="…" restriction names the cause; the line's other text reaches no terminal raw."""
    rs = refusing_server
    user = rs.users["missing"]
    blob = rs.keys["missing"].with_suffix(".pub").read_text().split()[:2]
    hostile = 'from="10.9.9.9",environment="X=\x1b]52;c;aGk=\x07\x1b[2J" '
    (user.home / ".ssh" / "authorized_keys").write_text(hostile + " ".join(blob) + "\n")
    doc, done = _test(run_cli, rs, "missing", "--inspect-with-password",
                      input=user.password + "\n")  # fmt: skip
    assert "not from a permitted host" in rs.server.log_text()  # sshd's own reason
    assert [c["code"] for c in doc["causes"]] == ["key-options"]
    assert "10.9.9.9" in doc["diagnosis"] and "\\033]52" in doc["diagnosis"]
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stderr


def test_a_look_with_another_key(
    refusing_server: RefusingServer, run_cli: RunCli, tmp_path: Path
) -> None:
    """--inspect-with KEY: the inspector's own key, no password anywhere."""
    rs = refusing_server
    key = tmp_path / "inspector_key"
    made = subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                          capture_output=True, timeout=60)  # fmt: skip
    assert made.returncode == 0
    ssh_dir = rs.inspector.home / ".ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    doc, _ = _test(run_cli, rs, "not-allowed", "--engine", "openssh", "--inspect-with",
                   str(key), "--inspect-user", rs.inspector.name)  # fmt: skip
    assert doc["inspection"]["with"] == "key" and doc["inspection"]["privileged"] is True
    assert [c["code"] for c in doc["causes"]] == ["account-not-allowed"]
    assert "not listed in AllowUsers" in doc["diagnosis"]


def test_a_look_at_a_user_that_does_not_exist(
    refusing_server: RefusingServer, run_cli: RunCli
) -> None:
    rs = refusing_server
    done = run_cli(
        "test", "nosuchsdkuser@127.0.0.1", "-p", str(rs.server.port), "-i", str(rs.keys["missing"]),
        "-o", f"UserKnownHostsFile={rs.known_hosts}", "--json", "--inspect-with-password",
        "--inspect-user", rs.inspector.name, input=rs.inspector.password + "\n",
    )  # fmt: skip
    doc = json.loads(done.stdout)
    assert doc["outcome"] == "auth-failed"
    assert [c["code"] for c in doc["causes"]] == ["account-not-allowed"]
    assert "there is no user nosuchsdkuser" in doc["diagnosis"]
    assert "Invalid user nosuchsdkuser" in rs.server.log_text()


def test_a_look_that_cannot_run_commands_claims_nothing(
    refusing_server: RefusingServer, run_cli: RunCli
) -> None:
    rs = refusing_server
    user = rs.users["missing"]
    account_tool("usermod", "-s", "/usr/sbin/nologin", user.name)
    doc, _ = _test(run_cli, rs, "missing", "--inspect-with-password", input=user.password + "\n")
    assert doc["inspection"]["login"] is True and doc["inspection"]["cause"] is None
    assert "could not be run" in doc["diagnosis"]
    assert len(doc["causes"]) > 1 and not any(c["confirmed"] for c in doc["causes"])
