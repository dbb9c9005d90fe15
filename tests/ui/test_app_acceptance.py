"""Acceptance gaps of the app (issue 4) found by driving it like a person, with their fixes.

Each test presses the keys the issue names and checks the files with real OpenSSH tools:
every binding is in the footer (``r`` was hidden) and every action in the command palette (the
ones that do not apply were left out instead of greyed); ``enter`` answers the delete and the
permission-fix confirmations (it pressed Cancel); ``enter`` on a ticked wizard checkbox goes on
instead of unticking it; the RSA search runs at background priority; the screenshot scene's
demo sshd never lets another server answer for it.
"""

from __future__ import annotations

import os
import pty
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from select import select as wait_readable
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Checkbox

from tests.ui.app_keys import (
    RSA_PASSPHRASE,
    install_app_keys,
    loaded,
    rendered_text,
    select,
    type_text,
    wait_for,
)
from tui.app import make_app
from tui.core.keys.generation import (
    BACKGROUND_NICENESS,
    Generation,
    GenerationRequest,
    lower_thread_priority,
)
from tui.core.settings import Settings
from tui.screens.help import HelpScreen
from tui.screens.modals import ConfirmScreen
from tui.screens.wizard import WizardScreen

SIZE = (140, 45)
ISSUE_KEYS = {
    "n": "New",
    "u": "Upload",
    "t": "Test",
    "c": "Copy",
    "p": "Passphrase",
    "e": "Comment",
    "a": "Agent",
    "d": "Delete",
    "r": "Rescan",
    "q": "Quit",
    "question_mark": "Help",
}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_every_binding_in_footer_help_and_palette(ssh_dir: Path) -> None:
    install_app_keys(ssh_dir, ("github.pub",))  # a lone .pub: p, e, a do not apply
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await loaded(pilot)
        shown = screen.active_bindings
        for key, description in ISSUE_KEYS.items():
            assert shown[key].binding.show and shown[key].binding.description == description
        assert shown["p"].enabled is False and shown["a"].enabled is False  # greyed, not hidden
        assert app.check_action("passphrase", ()) is None  # asked of the app, too
        assert app.check_action("agent", ()) is None  # no ssh-agent in the tests
        assert app.check_action("copy", ()) is True

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = " ".join(rendered_text(s, 120) for s in app.screen.query("Static"))
        for description in ISSUE_KEYS.values():
            assert description in help_text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        options = app.screen.query_one(CommandList)

        def names() -> set[str]:
            found = set()
            for index in range(options.option_count):
                prompt = options.get_option_at_index(index).prompt
                found.add(str(getattr(prompt, "plain", prompt)).split("\n")[0].strip())
            return found

        await wait_for(pilot, lambda: set(ISSUE_KEYS.values()) <= names())
        assert {"Undo", "Fix"} <= names()  # nothing to undo or fix here: still listed
        await pilot.press("escape")


async def test_enter_confirms_delete_and_permission_fix(ssh_dir: Path, isolated_home: Path) -> None:
    install_app_keys(ssh_dir, ("id_ed25519", "deploy_ecdsa"))
    (ssh_dir / "deploy_ecdsa").chmod(0o644)
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await select(pilot, "deploy_ecdsa")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "chmod 600 ~/.ssh/deploy_ecdsa" in str(app.screen.query_one(".command").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: _mode(ssh_dir / "deploy_ecdsa") == 0o600)

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not (ssh_dir / "deploy_ecdsa").exists())
        assert not (ssh_dir / "deploy_ecdsa.pub").exists()
        trash = isolated_home / ".local/share/sshdeck/trash"
        assert len(list(trash.glob("*/*deploy_ecdsa"))) == 1
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: (ssh_dir / "deploy_ecdsa.pub").exists())
        assert _mode(ssh_dir / "deploy_ecdsa") == 0o600
        assert _mode(ssh_dir / "deploy_ecdsa.pub") == 0o644
        await wait_for(pilot, lambda: screen.query_one("KeyTable").row_count == 2)


def test_trusting_a_host_key_still_defaults_to_cancel() -> None:
    assert ConfirmScreen("Trust?").enter_confirms is False


async def test_wizard_enter_on_a_ticked_checkbox_goes_on(
    ssh_dir: Path, isolated_home: Path
) -> None:
    install_app_keys(ssh_dir, ("id_ed25519",))
    old_public = (ssh_dir / "id_ed25519.pub").read_text()
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen))
        wizard = app.screen
        assert isinstance(wizard, WizardScreen)
        await pilot.press("enter")  # Ed25519
        await wait_for(pilot, lambda: wizard.step == 1)
        await pilot.press("enter")  # id_ed25519 exists: refused
        assert wizard.step == 1 and "already exists" in str(
            wizard.query_one("#file-error").render()
        )
        await pilot.press("tab", "space")  # tick "replace the existing pair"
        assert wizard.query_one("#replace", Checkbox).value
        await pilot.press("enter")
        await wait_for(pilot, lambda: wizard.step == 2)
        await pilot.press("enter")  # default comment
        await wait_for(pilot, lambda: wizard.step == 3)
        await pilot.press("enter", "enter")  # empty twice: refused, no key without one by accident
        assert wizard.step == 3
        assert "no passphrase" in str(wizard.query_one("#passphrase-error").render())
        await pilot.press("tab", "space")  # from the confirmation: tick "no passphrase" explicitly
        assert wizard.query_one("#no-passphrase", Checkbox).value
        await pilot.press("enter")
        await wait_for(pilot, lambda: wizard.step == 5)
    key = ssh_dir / "id_ed25519"
    public = subprocess.run(
        ["ssh-keygen", "-y", "-P", "", "-f", str(key)], capture_output=True, text=True, check=True
    ).stdout
    assert public.split()[:2] == (ssh_dir / "id_ed25519.pub").read_text().split()[:2]
    assert (_mode(key), _mode(ssh_dir / "id_ed25519.pub")) == (0o600, 0o644)
    trashed = list((isolated_home / ".local/share/sshdeck/trash").glob("*/*id_ed25519.pub"))
    assert [p.read_text() for p in trashed] == [old_public]


def _thread_priority() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_key_search_runs_at_background_priority_in_its_own_thread() -> None:
    seen: list[int] = []

    def worker() -> None:
        assert lower_thread_priority()
        seen.append(_thread_priority())

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen and seen[0] >= BACKGROUND_NICENESS
    caller = _thread_priority()
    job = Generation(GenerationRequest(Path("/nonexistent/k"), comment="c"), _settings())
    key = job.make_key()  # made in a short-lived thread of its own
    assert key is not None and key.entry
    assert _thread_priority() == caller  # the (pooled) worker thread keeps its priority


def _settings() -> Settings:
    return Settings.from_environment()


def test_cancel_stops_the_rsa_search_at_once() -> None:
    """The RSA search is child processes that ``escape`` (job.cancel) kills: nothing comes back."""
    request = GenerationRequest(Path("/nonexistent/k"), "rsa", 4096, "c")
    for _attempt in range(5):  # a search may (rarely) finish before the cancel: try again
        job = Generation(request, _settings())
        assert job.search is not None
        outcome: list[object] = []
        thread = threading.Thread(target=lambda j=job, out=outcome: out.append(j.make_key()))
        thread.start()
        deadline = time.monotonic() + 20
        while not job.search.running and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        children = list(job.search.children)
        assert job.cancel()
        thread.join(timeout=20)
        if children and all(c.returncode == -signal.SIGKILL for c in children):
            assert outcome == [None]
            return
    raise AssertionError("every search finished before it could be cancelled")


async def test_wizard_makes_an_rsa_key_by_keystrokes(ssh_dir: Path) -> None:
    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, WizardScreen))
        wizard = app.screen
        assert isinstance(wizard, WizardScreen)
        await pilot.press("down", "down", "down", "down", "down", "enter")  # RSA 3072
        await wait_for(pilot, lambda: wizard.step == 1)
        await pilot.press("enter", "enter")  # ~/.ssh/id_rsa, default comment
        await wait_for(pilot, lambda: wizard.step == 3)
        await type_text(pilot, "two words")
        await pilot.press("tab")
        await type_text(pilot, "two words")
        await pilot.press("enter")
        await wait_for(pilot, lambda: wizard.step == 5, timeout=60)
    listing = subprocess.run(
        ["ssh-keygen", "-y", "-P", "two words", "-f", str(ssh_dir / "id_rsa")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listing.startswith("ssh-rsa ")
    bits = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(ssh_dir / "id_rsa.pub")], capture_output=True, text=True
    ).stdout.split()[0]
    assert bits == "3072"


def test_screenshot_demo_sshd_owns_its_port_and_host_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another server on the demo port must not answer for the scene (it showed "CHANGED")."""
    from scripts.scenes import upload

    with socket.socket() as blocker:  # someone else's server on the scene's port
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        monkeypatch.setattr(upload, "DEMO_PORT", blocker.getsockname()[1])
        process, port = upload._start_sshd(tmp_path)
        try:
            assert port != upload.DEMO_PORT
            scanned = subprocess.run(
                ["ssh-keyscan", "-p", str(port), "-t", "ed25519", "127.0.0.1"],
                capture_output=True,
                text=True,
                timeout=20,
            ).stdout.split()
        finally:
            process.terminate()
            process.wait(timeout=10)
    fixed = upload.HOST_KEY.with_name(upload.HOST_KEY.name + ".pub").read_text().split()
    assert scanned[1:3] == fixed[:2]


def _read_until(fd: int, wanted: bytes, seen: bytearray, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {wanted!r} in {bytes(seen)!r}")
        ready, _, _ = wait_readable([fd], [], [], 0.1)
        if ready:
            try:
                seen.extend(os.read(fd, 4096))
            except OSError:  # the child closed the terminal
                raise AssertionError(f"no {wanted!r} in {bytes(seen)!r}") from None


def _reap(pid: int, timeout: float = 30) -> int:
    """The child's exit code; killed first when it is still waiting after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_agent_add_asks_again_after_a_wrong_passphrase_like_ssh_add(
    ssh_dir: Path, ssh_agent: Any
) -> None:
    install_app_keys(ssh_dir, ("id_rsa",))
    key = ssh_dir / "id_rsa"
    pid, fd = pty.fork()
    if pid == 0:  # the child: sshdeck on a terminal, as a person runs it
        os.execv(sys.executable, [sys.executable, "-m", "tui", "agent", "add", "-f", str(key)])
    try:
        seen = bytearray()
        _read_until(fd, b"Enter passphrase for", seen)
        os.write(fd, b"not it\n")
        _read_until(fd, b"Bad passphrase, try again for", seen)
        os.write(fd, RSA_PASSPHRASE.encode() + b"\n")
        _read_until(fd, b"Identity added", seen)
    finally:
        status = _reap(pid)
        os.close(fd)
    assert status == 0
    listed = ssh_agent.ssh_add("-l").stdout
    fingerprint = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(key) + ".pub"], capture_output=True, text=True
    ).stdout.split()[1]
    assert fingerprint in listed
