"""The client-side ranking of refusal causes and the server-side StrictModes rule, as data."""

from __future__ import annotations

from tui.core.connect.inspect_verdict import (
    PathStat,
    _from_refuses,
    _key_lines,
    strict_modes_problem,
)
from tui.core.connect.refusal import rank_causes, sig_alg_ruled_out
from tui.core.connect.trace import OfferedKey, Trace

UID, GID = 1001, 1001


def _trace(user: str = "u", label: str = "ED25519", **facts: object) -> Trace:
    trace = Trace(user=user)
    trace.offered = [OfferedKey("/k", "SHA256:x", label, "explicit")]
    trace.auth_methods = ["publickey", "password"]
    for name, value in facts.items():
        setattr(trace, name, value)
    return trace


def codes(trace: Trace) -> list[str]:
    return [cause.code for cause in rank_causes(trace)]


def test_ranking_follows_the_evidence() -> None:
    assert codes(_trace()) == [
        "key-not-authorized", "strict-modes", "account-not-allowed", "algorithm-not-accepted",
    ]  # fmt: skip
    assert codes(_trace(password_tried=True))[0] == "account-not-allowed"
    accepted = _trace()
    accepted.offered[0].accepted = True  # PK_OK: the key is in a file sshd trusts
    assert codes(accepted) == ["account-not-allowed", "root-login-refused"]
    accepted.user = "root"
    assert codes(accepted)[0] == "root-login-refused"
    assert "root-login-refused" in codes(_trace(user="root"))
    ruled = _trace(label="RSA", server_sig_algs=["ssh-ed25519", "ssh-rsa"])
    assert codes(ruled)[0] == "algorithm-not-accepted"
    assert not sig_alg_ruled_out("RSA", ["rsa-sha2-256"]) and not sig_alg_ruled_out("RSA", None)


def _chain(*entries: tuple[str, int, int, int]) -> list[PathStat]:
    kinds = ["regular file"] + ["directory"] * (len(entries) - 1)
    return [PathStat(p, m, u, g, k, "x") for (p, m, u, g), k in zip(entries, kinds, strict=True)]


def test_strict_modes_as_debian_sshd_decides() -> None:
    akf = "/home/u/.ssh/authorized_keys"
    base = [("/home/u/.ssh", 0o700, UID, GID), ("/home/u", 0o755, UID, GID),
            ("/home", 0o777, 0, 0), ("/", 0o755, 0, 0)]  # fmt: skip
    lone: dict[int, tuple[list[int], list[str]]] = {GID: ([UID], [])}
    shared: dict[int, tuple[list[int], list[str]]] = {GID: ([UID], ["other"])}
    ok = _chain((akf, 0o600, UID, GID), *base)
    assert strict_modes_problem(ok, UID, "/home/u", lone, "u", True) is None  # stops at home
    gw = _chain((akf, 0o620, UID, GID), *base)
    assert strict_modes_problem(gw, UID, "/home/u", lone, "u", True) is None  # Debian's rule
    assert strict_modes_problem(gw, UID, "/home/u", shared, "u", True) is not None
    assert strict_modes_problem(gw, UID, "/home/u", lone, "u", False) is not None  # upstream
    home = _chain((akf, 0o600, UID, GID), base[0], ("/home/u", 0o777, UID, GID), *base[2:])
    found = strict_modes_problem(home, UID, "/home/u", lone, "u", True)
    assert found is not None and found[0].path == "/home/u"
    other = _chain((akf, 0o600, 4242, GID), *base)
    found = strict_modes_problem(other, UID, "/home/u", lone, "u", True)
    assert found is not None and "owned by" in found[1]


def test_from_option_and_key_lines() -> None:
    assert _from_refuses('from="10.0.0.*"', "127.0.0.1")
    assert not _from_refuses('from="127.0.0.*,10.1.1.1"', "127.0.0.1")
    assert not _from_refuses('from="10.0.0.0/8"', "127.0.0.1")  # CIDR: no claim either way
    assert not _from_refuses('from="host.example"', "127.0.0.1")
    assert _from_refuses('from="!127.0.0.1,*"', "127.0.0.1")
    line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl c"
    from tui.core.keys.public import parse_public_key

    sha = parse_public_key(line).sha256
    text = f'# comment\ngarbage\ncommand="x y",no-pty {line}\n'
    assert _key_lines(text, {sha}) == (sha, 'command="x y",no-pty')
    assert _key_lines(line, {sha}) == (sha, "")
    assert _key_lines(text, {"SHA256:other"}) is None
