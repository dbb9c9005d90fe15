"""The key wizard, driven by keystrokes like a person, writing real files checked by ssh-keygen."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static

from scripts.scenes.wizard import fixed_key, steady_cursors
from tests.keyfactory import keygen
from tests.ui.app_keys import screen_lines
from tui.core import secrets
from tui.core.errors import WriteError
from tui.core.keys import generate, trash
from tui.core.keys.generation import Generation, GenerationCancelled, GenerationRequest
from tui.core.keys.private import open_private_key_file
from tui.core.keys.rsa_search import RsaSearch
from tui.core.settings import Settings
from tui.core.validate import key_file_name_problem as file_name_problem
from tui.messages import KeyGenerated
from tui.screens.wizard import WizardScreen
from tui.screens.wizard_model import KEY_CHOICES, parse_rounds, passphrase_problem, result_notes
from tui.services import Services

DATA = Path(__file__).resolve().parent.parent / "data"
SIZE = (110, 42)


class _Host(App[None]):
    """A bare app that opens the wizard, so these tests do not depend on the key list."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.services = Services.create(Settings.from_environment())
        self.directory = directory
        self.generated: list[KeyGenerated] = []

    def on_mount(self) -> None:
        self.push_screen(WizardScreen(self.directory))

    def on_key_generated(self, message: KeyGenerated) -> None:
        self.generated.append(message)


def wizard(pilot: Pilot[Any]) -> WizardScreen:
    screen = pilot.app.screen
    assert isinstance(screen, WizardScreen)
    return screen


def text_of(screen: WizardScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*text)


async def clear_and_type(pilot: Pilot[Any], text: str) -> None:
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def wait_for_step(pilot: Pilot[Any], *steps: int) -> None:
    """Let the generation thread finish and its result reach the screen."""
    screen = wizard(pilot)
    job = screen.job
    if job is not None:
        assert await asyncio.to_thread(job.finished.wait, 120)
    for _ in range(400):
        if screen.step in steps:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"wizard stayed at step {screen.step}")


async def to_passphrase_step(pilot: Pilot[Any], downs: int = 0, comment: str | None = None) -> None:
    await pilot.press(*(["down"] * downs), "enter")  # step 1: type
    await pilot.press("enter")  # step 2: default file name
    if comment is not None:
        await clear_and_type(pilot, comment)
    await pilot.press("enter")  # step 3: comment
    assert wizard(pilot).step == 3


async def type_passphrases(pilot: Pilot[Any], first: str, second: str) -> None:
    await type_text(pilot, first)
    await pilot.press("enter")  # moves to the confirmation
    await type_text(pilot, second)


def keygen_y(path: Path, passphrase: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh-keygen", "-y", "-P", passphrase, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- pure checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "a/b", "id_x.pub", "-oProxyCommand", "my key", "tab\tname", "nl\n", ".", "config"]
)
def test_bad_file_names_are_refused_with_a_sentence(name: str) -> None:
    problem = file_name_problem(name)
    assert problem and problem.endswith(".")


@pytest.mark.parametrize("name", ["id_ed25519", "work.key", "id_rsa-2026", ".hidden_key"])
def test_good_file_names_pass(name: str) -> None:
    assert file_name_problem(name) is None


def test_rounds_are_a_whole_number_in_range() -> None:
    assert parse_rounds("16") == 16
    assert parse_rounds(" 100 ") == 100
    assert [parse_rounds(t) for t in ("0", "-3", "1001", "abc", "", "1.5")] == [None] * 6


def test_step_four_says_what_blocks_it() -> None:
    assert passphrase_problem("16", False, "a b", "a b") is None
    assert passphrase_problem("16", True, "", "") is None  # no passphrase, on purpose
    assert "rounds" in (passphrase_problem("0", True, "", "") or "")  # even without one
    assert "twice" in (passphrase_problem("16", False, "", "") or "")
    assert "do not match" in (passphrase_problem("16", False, "a", "b") or "")


def test_result_notes_say_what_happened() -> None:
    notes = result_notes(True, False, "~/.local/share/sshdeck/trash/x")
    assert notes.splitlines() == [
        "Encrypted with your passphrase.",
        "The keyring refused to store the passphrase; nothing was stored.",
        "The old pair was moved to the trash: ~/.local/share/sshdeck/trash/x",
    ]
    assert result_notes(False, None, None) == "Not encrypted (no passphrase)."


def _job(path: Path, **kwargs: Any) -> Generation:
    options: dict[str, Any] = {
        "passphrase": None,
        "rounds": 16,
        "replace": False,
        "remember": False,
    }
    options.update(kwargs)
    request = GenerationRequest(path, "ed25519", 256, "c@test", **options)
    return Services.create(Settings.from_environment()).keys.generation(request)


def test_a_job_cancelled_before_writing_writes_nothing(ssh_dir: Path) -> None:
    job = _job(ssh_dir / "id_ed25519")
    assert job.cancel()
    assert job.run() == GenerationCancelled(ssh_dir / "id_ed25519")
    assert list(ssh_dir.iterdir()) == []


def test_a_failed_write_puts_the_replaced_pair_back(
    ssh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keygen(ssh_dir / "id_ed25519", "ed25519")
    before = sorted((p.name, p.read_bytes()) for p in ssh_dir.iterdir())

    def broken(*args: Any, **kwargs: Any) -> None:
        raise WriteError("Cannot write here; choose another location.")

    monkeypatch.setattr(generate, "write_key_pair", broken)
    job = _job(ssh_dir / "id_ed25519", replace=True)
    with pytest.raises(WriteError):
        job.run()
    assert sorted((p.name, p.read_bytes()) for p in ssh_dir.iterdir()) == before
    assert not job.cancel(), "once writing started, cancelling is refused"


# -- the whole wizard ------------------------------------------------------------------------


async def test_whole_wizard_by_keystrokes_makes_a_key_ssh_keygen_reads(ssh_dir: Path) -> None:
    secret = "tuba orbit 42"
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot, comment="alice@laptop")
        await type_passphrases(pilot, secret, secret)
        assert "match" in text_of(wizard(pilot), "#mismatch")
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        screen = wizard(pilot)
        private, public = ssh_dir / "id_ed25519", ssh_dir / "id_ed25519.pub"
        assert [m.path for m in app.generated] == [private]
        assert app.generated[0].public_path == public

        # the screen shows what ssh-keygen prints, for this very key
        shown = text_of(screen, "#saved") + "\n" + text_of(screen, "#art")
        listing = subprocess.run(
            ["ssh-keygen", "-lv", "-f", str(public)], capture_output=True, text=True, check=True
        ).stdout.splitlines()
        fingerprint = listing[0].split()[1]
        art = "\n".join(listing[1:])
        # ~/ for the home folder, as in the key list
        assert "Your identification has been saved in ~/.ssh/id_ed25519\n" in shown
        assert "Your public key has been saved in ~/.ssh/id_ed25519.pub" in shown
        assert f"The key fingerprint is:\n{fingerprint} alice@laptop\n" in shown
        assert f"The key's randomart image is:\n{art}" in shown
        assert listing[0] in text_of(screen, "#summary")

        svg = app.export_screenshot()
        assert secret not in svg and secret.replace(" ", "&#160;") not in svg

        # copy the public key: the clipboard gets the .pub line, the notification no secret
        await pilot.press("tab", "tab", "tab", "enter")
        assert app.clipboard == public.read_text().strip()
        assert all(secret not in str(n.message) for n in app._notifications)

    result = keygen_y(private, secret)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == public.read_text().split()[:2]
    assert public.read_text().strip().endswith(" alice@laptop")
    assert keygen_y(private, "wrong").returncode != 0
    assert mode(private) == 0o600 and mode(public) == 0o644


async def test_ecdsa_by_arrow_keys_into_a_missing_folder(isolated_home: Path) -> None:
    folder = isolated_home / "newkeys"
    app = _Host(folder)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "enter")  # ECDSA 384
        screen = wizard(pilot)
        assert screen.query_one("#file-name", Input).value == "id_ecdsa"
        assert "~/newkeys/id_ecdsa" in text_of(screen, "#file-paths")
        assert "will be created" in text_of(screen, "#dir-note")
        assert not folder.exists()
        await pilot.press("enter", "enter")
        await type_passphrases(pilot, "pear-lamp", "pear-lamp")
        assert not folder.exists(), "nothing is written before the last step"
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
    assert mode(folder) == 0o700
    listing = subprocess.run(
        ["ssh-keygen", "-l", "-f", str(folder / "id_ecdsa")], capture_output=True, text=True
    )
    assert listing.stdout.startswith("384 ") and "(ECDSA)" in listing.stdout
    assert keygen_y(folder / "id_ecdsa", "pear-lamp").returncode == 0


async def test_no_passphrase_only_by_the_explicit_checkbox_rsa_3072(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot, downs=5)  # RSA 3072
        screen = wizard(pilot)
        await pilot.press("enter", "enter")  # empty passphrase and confirmation
        assert screen.step == 3
        assert "no passphrase" in text_of(screen, "#passphrase-error")
        assert not screen.query_one("#no-passphrase-warning").display
        await pilot.press("tab", "space")  # tick "no passphrase"
        assert screen.query_one("#no-passphrase", Checkbox).value
        assert screen.query_one("#no-passphrase-warning").display
        assert "anyone" in text_of(screen, "#no-passphrase-warning")
        assert screen.query_one("#remember", Checkbox).disabled
        screen.query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        assert "Not encrypted" in text_of(screen, "#result-notes")
    result = keygen_y(ssh_dir / "id_rsa", "")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ssh-rsa ")
    assert mode(ssh_dir / "id_rsa") == 0o600


async def test_mismatched_confirmation_blocks_the_step(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        screen = wizard(pilot)
        await type_passphrases(pilot, "marble orchid", "marble orchix")
        assert text_of(screen, "#mismatch") == "The two passphrases do not match."
        await pilot.press("enter")
        assert screen.step == 3
        assert "do not match" in text_of(screen, "#passphrase-error")
        assert screen.job is None and not list(ssh_dir.iterdir())
        await pilot.press("backspace", "d")
        assert "do not match" not in text_of(screen, "#mismatch")
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
    assert keygen_y(ssh_dir / "id_ed25519", "marble orchid").returncode == 0


async def test_strength_meter_follows_the_typing(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        screen = wizard(pilot)
        meter = screen.query_one("#strength")
        await type_text(pilot, "password")
        weak = str(meter.render())
        assert "very weak" in weak and "common" in weak
        await clear_and_type(pilot, "kayak-zebu-41")
        assert "very strong" in str(meter.render())


async def test_existing_file_is_refused_then_replaced_into_the_trash(ssh_dir: Path) -> None:
    old = keygen(ssh_dir / "id_ed25519", "ed25519", comment="old@key")
    old_private, old_public = old.read_text(), (ssh_dir / "id_ed25519.pub").read_text()
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        screen = wizard(pilot)
        assert screen.step == 1
        assert "already exists" in text_of(screen, "#file-error")
        replace = screen.query_one("#replace", Checkbox)
        assert replace.display and not replace.value
        await pilot.press("tab", "space")  # tick "replace the existing pair"
        assert replace.value
        await pilot.press("tab", "enter")  # the Next button
        assert screen.step == 2
        assert (ssh_dir / "id_ed25519").read_text() == old_private, "nothing written yet"
        await pilot.press("enter")
        await type_passphrases(pilot, "np2", "np2")
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        assert "moved to the trash" in text_of(screen, "#result-notes")
    assert (ssh_dir / "id_ed25519").read_text() != old_private
    assert keygen_y(ssh_dir / "id_ed25519", "np2").returncode == 0
    trashed = sorted(
        p for p in trash.trash_root().rglob("*") if p.is_file() and "manifest" not in p.name
    )
    assert [p.read_text() for p in trashed] == [old_private, old_public]
    assert mode(trashed[0]) == 0o600


async def test_existing_public_key_alone_also_blocks(ssh_dir: Path) -> None:
    (ssh_dir / "id_ed25519.pub").write_text((DATA / "wizard_ed25519.pub").read_text())
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        screen = wizard(pilot)
        assert screen.step == 1
        assert "~/.ssh/id_ed25519.pub already exists" in text_of(screen, "#file-error")


async def test_a_file_that_appears_meanwhile_is_not_replaced(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        keygen(ssh_dir / "id_ed25519", "ed25519", comment="sneaky@other")
        before = (ssh_dir / "id_ed25519").read_text()
        await pilot.press("tab", "tab", "space")  # no passphrase
        wizard(pilot).query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 1)
        assert "already exists" in text_of(wizard(pilot), "#file-error")
        assert not app.generated
    assert (ssh_dir / "id_ed25519").read_text() == before


async def test_invalid_names_are_refused_in_place(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = wizard(pilot)
        for name in ("", "sub/key", "mine.pub", "-x", "my key", "known_hosts"):
            await clear_and_type(pilot, name)
            await pilot.press("enter")
            assert screen.step == 1, name
            assert text_of(screen, "#file-error") == file_name_problem(name)
        await clear_and_type(pilot, "work_key")
        await pilot.press("enter")
        assert screen.step == 2
    assert not list(ssh_dir.iterdir())


async def test_escape_goes_back_one_step_and_leaves_from_the_first(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "enter")  # ECDSA 256
        await clear_and_type(pilot, "mykey")
        await pilot.press("enter")
        await clear_and_type(pilot, "bob@box")
        await pilot.press("enter")
        screen = wizard(pilot)
        assert screen.step == 3
        for expected in (2, 1, 0):
            await pilot.press("escape")
            assert screen.step == expected
        assert screen.query_one("#comment", Input).value == "bob@box"
        assert screen.query_one("#file-name", Input).value == "mykey", "a typed name is kept"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WizardScreen)
    assert not list(ssh_dir.iterdir())


async def test_escape_cancels_generation_and_leaves_no_file(
    ssh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The RSA search waits for the test, so the cancel surely comes first (no timing involved).
    release = threading.Event()
    real = RsaSearch.run
    outcomes: list[object] = []

    def slow(search: RsaSearch) -> object:
        assert release.wait(60)
        outcome = real(search)
        outcomes.append(outcome)
        return outcome

    monkeypatch.setattr(RsaSearch, "run", slow)
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot, downs=6)  # RSA 4096
        await type_passphrases(pilot, "ab", "ab")
        await pilot.press("enter")
        screen = wizard(pilot)
        assert screen.step == 4
        job = screen.job
        assert job is not None
        assert "RSA" in text_of(screen, "#generating-text")
        await pilot.press("x")  # typing now reaches no hidden field
        assert screen.query_one("#confirm", Input).value == "ab"
        await pilot.press("escape")  # the UI answers while the thread is busy
        assert screen.step == 3
        assert "cancelled" in text_of(screen, "#passphrase-error")
        release.set()
        assert await asyncio.to_thread(job.finished.wait, 120)
        await pilot.pause()
        assert screen.step == 3 and not app.generated
        assert outcomes == [None]  # the cancelled search gave no key
    assert list(ssh_dir.iterdir()) == []
    assert not trash.trash_root().exists()


async def test_keyring_checkbox_stores_under_the_fingerprint(ssh_dir: Path) -> None:
    secret = "keep me 7"
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        screen = wizard(pilot)
        assert not screen.query(".hint#keyring-reason")
        await type_passphrases(pilot, secret, secret)
        screen.query_one("#remember").focus()
        await pilot.press("space")
        assert screen.query_one("#remember", Checkbox).value
        screen.query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        assert "stored in the system keyring" in text_of(screen, "#result-notes")
    sha256 = open_private_key_file(ssh_dir / "id_ed25519", secret).public.sha256
    assert secrets.get_passphrase(sha256) == secret


async def test_without_the_checkbox_nothing_is_stored(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        await type_passphrases(pilot, "ns1", "ns1")
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
    assert not Path(os.environ["SSHDECK_TEST_KEYRING"]).exists()


async def test_keyring_checkbox_disabled_with_reason_without_backend(ssh_dir: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        screen = wizard(pilot)
        remember = screen.query_one("#remember", Checkbox)
        assert remember.disabled
        assert text_of(screen, "#keyring-reason") == secrets.keyring_status().reason
        assert "No secure system keyring" in text_of(screen, "#keyring-reason")


async def test_rounds_under_advanced_are_validated(ssh_dir: Path) -> None:
    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        screen = wizard(pilot)
        await type_passphrases(pilot, "rt", "rt")
        rounds = screen.query_one("#rounds", Input)
        assert rounds.value == "16"
        rounds.value = "5000"
        await pilot.press("enter")
        assert screen.step == 3
        assert "KDF rounds" in text_of(screen, "#passphrase-error")
        assert rounds.value == "5000"
        rounds.focus()
        await clear_and_type(pilot, "20")
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
    text = (ssh_dir / "id_ed25519").read_text()
    from tui.core.keys.private import inspect_private_key

    assert inspect_private_key(text).rounds == 20


async def test_next_step_buttons_open_their_screens(ssh_dir: Path) -> None:
    from tui.screens.tester import TesterScreen
    from tui.screens.upload.screen import UploadScreen

    app = _Host(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot)
        await pilot.press("tab", "tab", "space")  # no passphrase
        wizard(pilot).query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        path = ssh_dir / "id_ed25519"
        expected: list[tuple[type, str | None]] = [
            (UploadScreen, "stratos"),
            (UploadScreen, "hosts"),
            (TesterScreen, None),
        ]
        for index, (kind, target) in enumerate(expected):
            wizard(pilot).query_one("#next-steps").children[index].focus()
            await pilot.press("enter")
            await pilot.pause()
            opened: Any = app.screen
            shown = (type(opened), opened.key_path, opened.target if target else None)
            assert shown == (kind, path, target)
            await app.pop_screen()  # how each screen closes is its own business
            await pilot.pause()
        assert isinstance(app.screen, WizardScreen)
        await pilot.press("escape")  # from the result, escape leaves
        await pilot.pause()
        assert not isinstance(app.screen, WizardScreen)


async def test_n_in_the_app_opens_the_wizard_on_its_directory(ssh_dir: Path) -> None:
    from tui.app import make_app

    app = make_app(ssh_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, WizardScreen)
        assert screen.directory == ssh_dir
        await pilot.press("enter", "enter", "enter")
        await pilot.press("tab", "tab", "space")
        screen.query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, WizardScreen)
    assert (ssh_dir / "id_ed25519").exists()


# -- as a new user would try it (issue 12, item 7) ---------------------------------------------


def test_rsa_is_offered_at_2048_3072_and_4096() -> None:
    rsa = [c.bits for c in KEY_CHOICES if c.key_type == "rsa"]
    assert rsa == [2048, 3072, 4096]


async def test_the_type_step_says_stratos_documents_rsa(ssh_dir: Path) -> None:
    async with _Host(ssh_dir).run_test(size=(80, 24)) as pilot:
        lines = screen_lines(pilot.app)
        note = [line for line in lines if "Stratos for Power" in line]
        assert note and "RSA" in note[0], lines
        assert any("RSA 4096" in line for line in lines)  # every choice fits at 80x24
        assert any("enter next" in line for line in lines)


@pytest.mark.parametrize(
    ("downs", "said"),
    [(0, "Generating an Ed25519 key"), (1, "Generating a 256-bit ECDSA key")],
)
async def test_generating_says_the_kind_of_key(ssh_dir: Path, downs: int, said: str) -> None:
    async with _Host(ssh_dir).run_test(size=SIZE) as pilot:
        await to_passphrase_step(pilot, downs=downs)
        screen = wizard(pilot)
        screen.query_one("#no-passphrase", Checkbox).value = True
        await pilot.pause()
        screen.query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        assert said in text_of(screen, "#generating-text")
        assert "for ~/.ssh/id_" in text_of(screen, "#generating-text")


async def test_file_warnings_clear_as_soon_as_the_name_changes(ssh_dir: Path) -> None:
    keygen(ssh_dir / "id_ed25519", "ed25519")
    async with _Host(ssh_dir).run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        screen = wizard(pilot)
        assert "already exists" in text_of(screen, "#file-error")
        assert "A key pair with this name exists" in text_of(screen, "#dir-note")
        await pilot.press("end", "slash")  # "id_ed25519/": a bad name, and not the pair
        assert text_of(screen, "#file-error") == ""
        assert text_of(screen, "#dir-note") == ""
        await pilot.press("enter")
        assert "without '/'" in text_of(screen, "#file-error")
        await pilot.press("backspace", "2")  # "id_ed255192": fine, and free
        assert text_of(screen, "#file-error") == ""
        assert text_of(screen, "#dir-note") == ""
        assert "~/.ssh/id_ed255192" in text_of(screen, "#file-paths")


async def test_a_comment_error_clears_when_the_comment_changes(ssh_dir: Path) -> None:
    async with _Host(ssh_dir).run_test(size=SIZE) as pilot:
        await pilot.press("enter", "enter")
        screen = wizard(pilot)
        screen.query_one("#comment", Input).value = "me\u202etxt.exe"  # a pasted bidi override
        await pilot.press("enter")
        assert screen.step == 2 and "control characters" in text_of(screen, "#comment-error")
        await pilot.press("backspace")
        assert text_of(screen, "#comment-error") == ""


async def test_at_80_columns_every_next_step_button_fits(
    ssh_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(generate, "generate_private_key", fixed_key)
    async with _Host(ssh_dir).run_test(size=(80, 24)) as pilot:
        await to_passphrase_step(pilot, comment="me@laptop")
        screen = wizard(pilot)
        screen.query_one("#no-passphrase", Checkbox).value = True
        await pilot.pause()
        screen.query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        buttons = list(screen.query("#next-steps Button").results(Button))
        assert len(buttons) == 5
        for button in buttons:
            button.focus()
            await pilot.pause()
            region = button.region
            assert region.width >= len(str(button.label)) and region.right <= 80, button.id


# -- snapshots -------------------------------------------------------------------------------


@pytest.fixture
def snap_dir(isolated_home: Path) -> Path:
    """The folder the snapshots show: ~/.ssh of the test's HOME, not made yet (the wizard
    makes it). The screen shows it as ~/.ssh, so the snapshots do not depend on the path."""
    return isolated_home / ".ssh"


#: a classic terminal and a common window
SNAP_SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])


@SNAP_SIZES
def test_snapshot_type_step(snap_compare: Any, snap_dir: Path, size: tuple[int, int]) -> None:
    assert snap_compare(_Host(snap_dir), terminal_size=size, press=["down", "up"])


@SNAP_SIZES
def test_snapshot_file_step_with_a_bad_name(
    snap_compare: Any, snap_dir: Path, size: tuple[int, int]
) -> None:
    async def drive(pilot: Pilot[Any]) -> None:
        steady_cursors(pilot)
        await pilot.press("enter")
        await clear_and_type(pilot, "id_ed25519.pub")
        await pilot.press("enter")

    assert snap_compare(_Host(snap_dir), terminal_size=size, run_before=drive)


@SNAP_SIZES
def test_snapshot_passphrase_step(snap_compare: Any, snap_dir: Path, size: tuple[int, int]) -> None:
    async def drive(pilot: Pilot[Any]) -> None:
        steady_cursors(pilot)
        await to_passphrase_step(pilot, comment="me@laptop")
        await type_passphrases(pilot, "tulip", "tulipz")
        await pilot.pause(0.6)  # kept: the behaviour is that after a blink the cursor still shows

    assert snap_compare(_Host(snap_dir), terminal_size=size, run_before=drive)


@SNAP_SIZES
def test_snapshot_result(
    snap_compare: Any, snap_dir: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    monkeypatch.setattr(generate, "generate_private_key", fixed_key)

    async def drive(pilot: Pilot[Any]) -> None:
        await to_passphrase_step(pilot, comment="me@laptop")
        await pilot.press("tab", "tab", "space")  # no passphrase: no random salt to show
        wizard(pilot).query_one("#generate").focus()
        await pilot.press("enter")
        await wait_for_step(pilot, 5)
        with contextlib.suppress(Exception):
            wizard(pilot).query_one("#done").focus()

    assert snap_compare(_Host(snap_dir), terminal_size=size, run_before=drive)
