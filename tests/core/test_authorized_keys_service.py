"""The install service checks the whole Hosts form at once: one sentence for the first mistake,
and a plan only when everything is right (the key, every target, the login)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tui.core.errors import InvalidArgument
from tui.core.settings import Settings
from tui.core.upload.service import InstallService, parse_targets

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def service(tmp_path: Path) -> InstallService:
    return InstallService(Settings.from_environment({"HOME": str(tmp_path)}))


@pytest.fixture
def pair(tmp_path: Path) -> Path:
    for name in ("hosts_ed25519", "hosts_ed25519.pub"):
        shutil.copyfile(DATA / name, tmp_path / name.replace("hosts_", "id_"))
    (tmp_path / "id_ed25519").chmod(0o600)
    return tmp_path / "id_ed25519"


def test_a_plan_for_every_target(service: InstallService, pair: Path) -> None:
    plan = service.plan(
        str(pair),  # the private key: its .pub is installed
        "root@192.0.2.10, admin@[2001:db8::1]:2222 web",
        password="hunter2",
        accept_new=True,
        dry_run=True,
    )
    assert plan.labels == ("root@192.0.2.10:22", "admin@[2001:db8::1]:2222", "web:22")
    assert not isinstance(plan.public_key, tuple)
    assert plan.public_key.line() == (DATA / "hosts_ed25519.pub").read_text().split(" #")[0].strip()
    assert plan.dry_run and plan.verify_with == pair
    assert all(o.accept_new and o.password == "hunter2" and not o.use_agent for o in plan.options)
    assert "hunter2" not in repr(plan)


def test_a_login_key_replaces_the_agent(service: InstallService, pair: Path) -> None:
    plan = service.plan(str(pair) + ".pub", "root@host", identity=f" {pair} ")
    (options,) = plan.options
    assert options.identities == (pair,) and not options.use_agent and options.password is None
    agent = service.plan(str(pair) + ".pub", "root@host").options[0]
    assert agent.use_agent and agent.identities == () and agent.password is None


@pytest.mark.parametrize(
    ("key", "targets", "login", "sentence"),
    [
        ("", "root@host", {}, "Choose the public key to install"),
        ("PAIR", "", {}, "Type at least one target"),
        ("PAIR", "root@host:99999", {}, "invalid port"),
        ("PAIR", "root@host @other", {}, "empty user name"),
        ("PAIR", "root@host", {"identity": "  "}, "Type the private key to log in with"),
        ("PAIR", "root@host", {"password": ""}, "Type the account's password"),
    ],
)
def test_each_mistake_is_one_sentence(
    service: InstallService,
    pair: Path,
    key: str,
    targets: str,
    login: dict[str, str],
    sentence: str,
) -> None:
    with pytest.raises(InvalidArgument) as info:
        service.plan(
            str(pair) if key == "PAIR" else key,
            targets,
            identity=login.get("identity"),
            password=login.get("password"),
        )
    assert sentence in str(info.value) and "\n" not in str(info.value)


def test_targets_are_checked_by_the_one_parser() -> None:
    assert [t.host for t in parse_targets("a b,c")] == ["a", "b", "c"]
    with pytest.raises(InvalidArgument, match="Type at least one target"):
        parse_targets(" , ")
