"""The connection probe as a service: one interface for both engines, a frozen result, the
same sentences from both engines, the agent from the settings, and the AIX / IBM i note."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ssh_keygen
from tests.fixtures.agent import Agent
from tests.fixtures.sshd import SshdServer, TestUser, account_tool
from tui.core.connect.client import ConnectOptions, Target
from tui.core.connect.engine import ENGINE_NAMES, EngineName
from tui.core.connect.outcomes import Outcome
from tui.core.connect.power_os import NOTES
from tui.core.connect.probe import engine_named
from tui.core.connect.result import ProbeResult
from tui.core.connect.service import ProbeService
from tui.core.errors import InvalidArgument
from tui.core.settings import Settings

CONNECT = Path(__file__).resolve().parents[2] / "tui" / "core" / "connect"


def _key(path: Path) -> Path:
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(path)).returncode == 0
    return path


def _service(home: Path, agent: str | None = None) -> ProbeService:
    return ProbeService(Settings(home=home, ssh_auth_sock=agent))


def _run(
    service: ProbeService, connect: ConnectOptions, engine: EngineName = "asyncssh"
) -> ProbeResult:
    return asyncio.run(service.run(service.options(connect, engine=engine)))


def _connect(
    user: TestUser, server: SshdServer, key: Path | None, **changes: Any
) -> ConnectOptions:
    base: dict[str, Any] = {
        "target": Target(user.name, "127.0.0.1", server.port),
        "identities": (key,) if key else (),
        "timeout": 10,
    }
    base.update(changes)
    return ConnectOptions(**base)


def _imports(module: str) -> set[str]:
    tree = ast.parse((CONNECT / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_each_engine_is_found_by_name_and_an_unknown_one_is_a_sentence() -> None:
    for name in ENGINE_NAMES:
        engine = engine_named(name)
        assert engine.name == name and asyncio.iscoroutinefunction(engine.run)
    with pytest.raises(InvalidArgument, match="asyncssh, openssh"):
        engine_named("putty")


def test_the_engines_never_import_each_other_nor_the_dispatcher() -> None:
    engines = {"engine_asyncssh": "probe_openssh", "probe_openssh": "engine_asyncssh"}
    for module, other in engines.items():
        imported = _imports(module)  # lazily too: every import statement in the module
        assert f"tui.core.connect.{other}" not in imported
        assert "tui.core.connect.probe" not in imported
    for shared in ("result", "engine", "session_outcomes"):
        imported = _imports(shared)
        assert not imported & {
            "tui.core.connect.probe",
            "tui.core.connect.engine_asyncssh",
            "tui.core.connect.probe_openssh",
        }


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_the_result_is_frozen_and_its_json_unchanged(
    engine: EngineName, sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    result = _run(_service(ssh_dir.parent), _connect(test_user, sshd, key), engine)
    assert result.ok and result.outcome is Outcome.OK, result.diagnosis
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = Outcome.AUTH_FAILED  # type: ignore[misc]
    assert isinstance(result.offered_keys, tuple) and isinstance(result.lines, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.offered_keys[0].used = False  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.attempts[0]["ok"] = False  # type: ignore[index]
    document = json.loads(json.dumps(result.to_json()))
    assert document["outcome"] == "ok" and document["engine"] == engine
    assert document["accepted_key"] == str(key)
    assert [stage["name"] for stage in document["stages"]][:2] == ["resolve", "connect"]
    assert isinstance(document["auth_methods"], list) and document["causes"] == []
    assert result.lines[-1].text == result.diagnosis  # the last line is the diagnosis


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_the_agent_comes_from_the_settings_not_the_process_environment(
    engine: EngineName, sshd: SshdServer, test_user: TestUser, ssh_dir: Path, tmp_path: Path,
    ssh_agent: Agent, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    key = _key(tmp_path / "only_in_agent")
    test_user.authorize(key.with_suffix(".pub").read_text())
    assert ssh_agent.ssh_add(str(key)).returncode == 0
    key.unlink()  # the agent alone holds it
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")
    monkeypatch.delenv("SSH_AUTH_SOCK")
    home = ssh_dir.parent
    with_agent = _run(
        _service(home, str(ssh_agent.socket)), _connect(test_user, sshd, None), engine
    )
    assert with_agent.ok and with_agent.auth_method == "publickey", with_agent.diagnosis
    monkeypatch.setenv("SSH_AUTH_SOCK", str(ssh_agent.socket))  # set, but not in the settings
    without = _run(_service(home, None), _connect(test_user, sshd, None), engine)
    assert without.outcome == Outcome.AUTH_FAILED and not without.offered_keys


def test_both_engines_say_the_same_sentences(
    sshd_factory: Callable[..., SshdServer], test_user_factory: Callable[[], TestUser],
    ssh_dir: Path,
) -> None:  # fmt: skip
    partial_user, shut_user, fine_user = (test_user_factory() for _ in range(3))
    server = sshd_factory(
        extra_config=f"Match User {partial_user.name}\n  AuthenticationMethods publickey,password"
    )
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    key = _key(ssh_dir / "id_ed25519")
    for user in (partial_user, shut_user, fine_user):
        user.authorize(key.with_suffix(".pub").read_text())
    account_tool("usermod", "-s", "/usr/sbin/nologin", shut_user.name)
    service = _service(ssh_dir.parent)
    for user, outcome in (
        (partial_user, Outcome.AUTH_PARTIAL),
        (shut_user, Outcome.SESSION_FAILED),
        (fine_user, Outcome.OK),
    ):
        connect = _connect(user, server, key, use_agent=False)
        ours, theirs = (_run(service, connect, engine) for engine in ENGINE_NAMES)
        assert ours.outcome == theirs.outcome == outcome, (ours.diagnosis, theirs.diagnosis)
        assert ours.diagnosis == theirs.diagnosis
        assert ours.fix == theirs.fix
        if outcome == Outcome.SESSION_FAILED:
            assert "This account is currently not available." in ours.diagnosis
            assert ours.exit_status == theirs.exit_status == 1


@pytest.mark.parametrize(
    ("settings", "kind"),
    [
        ({"extra_config": "VersionAddendum AIX 7.3"}, "aix"),
        ({"banner": "Welcome to IBM i (OS/400) via PASE\n"}, "ibmi"),
    ],
)
def test_the_tester_says_where_keys_go_on_aix_and_ibm_i(
    settings: dict[str, str], kind: str, sshd_factory: Callable[..., SshdServer],
    test_user: TestUser, ssh_dir: Path, run_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:  # fmt: skip
    server = sshd_factory(**settings)
    (ssh_dir / "known_hosts").write_text(server.known_hosts_line() + "\n")
    key = _key(ssh_dir / "id_ed25519")
    test_user.authorize(key.with_suffix(".pub").read_text())
    result = _run(_service(ssh_dir.parent), _connect(test_user, server, key))
    assert result.ok and result.power_os_note == NOTES[kind], result.server_version
    cli = run_cli("test", f"{test_user.name}@127.0.0.1:{server.port}")
    assert cli.returncode == 0, cli.stderr
    assert NOTES[kind] in cli.stderr.splitlines()  # after the diagnosis, as its own line
    plain = sshd_factory()
    (ssh_dir / "known_hosts").write_text(plain.known_hosts_line() + "\n")
    linux = _run(_service(ssh_dir.parent), _connect(test_user, plain, key))
    assert linux.ok and linux.power_os_note is None


def test_an_inspection_makes_a_new_result() -> None:
    from tui.core.connect.inspect_server import InspectRequest, inspect_result

    result = ProbeResult(ok=True, outcome=Outcome.OK, diagnosis="Logged in.", fix="", target="h")
    connect = ConnectOptions(target=Target("u", "h"))
    same = asyncio.run(inspect_result(result, connect, InspectRequest(password="x")))
    assert same is result  # nothing to inspect after a login: the result as it was
