"""The key generation wizard: six steps, each checked before the next, escape goes back one.

Nothing touches the disk before the last step: the screen hands a request to the core's
``KeyService.generation`` and runs it in a worker thread; the core makes the key (RSA in
cancellable child processes at background priority), and writes only if the person did not
cancel meanwhile, the replaced pair going to the trash just before the new one is written. The
checks of each step are the core's (``tui.core.validate``); the screen only owns state.

Over 400 lines: one ``compose`` for six steps and one handler group per step; the text and
choices live in ``wizard_model``, the work in the core.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Label,
    LoadingIndicator,
    OptionList,
    Static,
)
from textual.widgets.option_list import Option

from tui.core.errors import KeyFileError, SshDeckError, TargetExists, WriteError
from tui.core.keys import generate
from tui.core.keys.generation import Generation, GenerationRequest, GenerationResult
from tui.core.keys.strength import estimate
from tui.core.text import visible
from tui.core.validate import comment_problem, key_file_name_problem
from tui.messages import KeyGenerated
from tui.screens.app_services import key_service
from tui.screens.wizard_model import (
    KEY_CHOICES,
    MAX_ROUNDS,
    MIN_ROUNDS,
    NO_PASSPHRASE_WARNING,
    STEP_TITLES,
    STEPS,
    STRATOS_NOTE,
    generating_text,
    parse_rounds,
    passphrase_problem,
    result_notes,
)
from tui.widgets.key_details import home_relative
from tui.widgets.randomart import RandomArt
from tui.widgets.strength_meter import StrengthMeter
from tui.workers import work


class StepCheckbox(Checkbox, inherit_bindings=False):
    """A wizard checkbox: space ticks it, enter goes on with the step (as the hints say).

    With Textual's own binding enter would toggle it too, so a person who ticked
    "replace" or "no passphrase" with space and then pressed enter would untick it again.
    """

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]


class WizardScreen(Screen[None]):
    """``n`` on the key list: a new key pair in ``directory`` (usually ~/.ssh)."""

    CSS_PATH = "wizard.tcss"
    SUB_TITLE = "New key"
    # "-short" (24 rows, a classic terminal) drops the blank lines so every step fits
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    # "-narrow" (80 columns) puts the next-step buttons on two columns instead of one row
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (106, "-wide")]
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("enter", "next_step", "Next", show=False),
    ]

    def __init__(self, directory: Path) -> None:
        super().__init__()
        self.directory = Path(directory).expanduser()
        self.step = 0
        self.choice = KEY_CHOICES[0]
        self.job: Generation | None = None
        self.result: GenerationResult | None = None

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._keyring = key_service(self).keyring_status()
        yield Header()
        yield Static(id="progress")
        with ContentSwitcher(initial="step-type", id="steps"):
            with Vertical(id="step-type", classes="step"):
                yield Label("Which kind of key?", classes="question")
                yield OptionList(
                    *(
                        Option(Content.assemble((c.title, "bold"), "\n  ", (c.why, "$text-muted")))
                        for c in KEY_CHOICES
                    ),
                    id="type-list",
                )
                yield Static(STRATOS_NOTE, id="stratos-note", classes="note")
                yield Static("↑ ↓ choose · enter next · escape leave", classes="hint")
            with Vertical(id="step-file", classes="step"):
                yield Label("Where should the key be saved?", classes="question")
                yield Static(Content(f"Folder: {home_relative(self.directory)}"), classes="hint")
                yield Input(id="file-name", placeholder="file name, e.g. id_ed25519")
                yield Static(id="file-paths")
                yield Static(id="dir-note", classes="note")
                yield StepCheckbox(
                    "replace the existing pair (it moves to the trash)", id="replace"
                )
                yield Static(id="file-error", classes="error")
                yield Button("Next", id="file-next", variant="primary")
                yield Static("enter next · tab moves · escape back", classes="hint")
            with Vertical(id="step-comment", classes="step"):
                yield Label("A comment to recognise the key by", classes="question")
                yield Static(
                    "It goes at the end of the public key; usually you@computer.", classes="hint"
                )
                yield Input(value=generate.default_comment(), id="comment")
                yield Static(id="comment-error", classes="error")
                yield Button("Next", id="comment-next", variant="primary")
                yield Static("enter next · escape back", classes="hint")
            with VerticalScroll(id="step-passphrase", classes="step"):
                yield Label(
                    "A passphrase protects the key file if someone copies it", classes="question"
                )
                yield Input(password=True, placeholder="passphrase", id="passphrase")
                yield Input(password=True, placeholder="the same passphrase again", id="confirm")
                yield Static(id="mismatch")
                yield StrengthMeter(id="strength")
                yield StepCheckbox("no passphrase", id="no-passphrase")
                yield Static(NO_PASSPHRASE_WARNING, id="no-passphrase-warning", classes="warning")
                yield StepCheckbox(
                    "remember in the system keyring",
                    id="remember",
                    disabled=not self._keyring.available,
                )
                if not self._keyring.available:
                    yield Static(
                        Content(visible(self._keyring.reason or "")),
                        id="keyring-reason",
                        classes="hint",
                    )
                with Collapsible(title="Advanced", id="advanced"):
                    yield Label(
                        f"KDF rounds ({MIN_ROUNDS}-{MAX_ROUNDS}; more makes guessing slower, and unlocking too)"
                    )
                    yield Input(value=str(generate.DEFAULT_ROUNDS), type="integer", id="rounds")
                yield Static(id="passphrase-error", classes="error")
                yield Button("Generate", id="generate", variant="primary")
                yield Static(
                    "type it twice · tab moves between fields · enter in the second one generates"
                    " · escape back",
                    classes="hint",
                )
            with Vertical(id="step-generating", classes="step"):
                yield LoadingIndicator()
                yield Static(id="generating-text")
            with VerticalScroll(id="step-result", classes="step"):
                yield Static(id="saved")
                yield RandomArt(style="generated", id="art")
                yield Static(id="summary", classes="hint")
                yield Static(id="result-notes", classes="note")
                yield Label("Next steps", classes="question")
                with Horizontal(id="next-steps"):
                    yield Button("Upload to Stratos for Power", id="upload", variant="primary")
                    yield Button("Install on a host", id="install")
                    yield Button("Test a connection", id="test")
                    yield Button("Copy public key", id="copy")
                    yield Button("Done", id="done")
                yield Static(
                    "tab moves between buttons · enter presses · escape closes", classes="hint"
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#type-list", OptionList).highlighted = 0
        self.query_one("#no-passphrase-warning").display = False
        self._show_step(0)

    def on_unmount(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _show_step(self, index: int) -> None:
        self.step = index
        name = STEPS[index]
        self.query_one("#steps", ContentSwitcher).current = f"step-{name}"
        crumbs: list[str | tuple[str, str]] = []
        for i, title in enumerate(STEP_TITLES):
            if i:
                crumbs.append(("›", "$text-muted"))
            style = (
                "bold reverse $accent" if i == index else ("$text" if i < index else "$text-muted")
            )
            crumbs.append((f" {title} ", style))
        progress = Content.assemble(f"Step {index + 1} of {len(STEPS)}   ", *crumbs)
        self.query_one("#progress", Static).update(progress)
        focus = {
            "type": "#type-list",
            "file": "#file-name",
            "comment": "#comment",
            "passphrase": "#passphrase",
            "result": "#upload",
        }.get(name)
        if name == "file":
            self._refresh_file()
        if name == "passphrase" and self.query_one("#no-passphrase", Checkbox).value:
            focus = "#no-passphrase"
        if focus:
            self.query_one(focus).focus()
        else:  # generating: keys must not reach the hidden fields of step 4
            self.set_focus(None)

    # -- navigation --------------------------------------------------------------------------

    def action_back(self) -> None:
        name = STEPS[self.step]
        if name in ("type", "result"):
            self.dismiss(None)
        elif name == "generating":
            self._cancel_generation()
        else:
            self._show_step(self.step - 1)

    def action_next_step(self) -> None:
        """enter where no field takes it (a checkbox, the step itself): on to the next step."""
        name = STEPS[self.step]
        if name == "file":
            self._file_next()
        elif name == "comment":
            self._comment_next()
        elif name == "passphrase":
            self._passphrase_next()

    @on(OptionList.OptionSelected, "#type-list")
    def _type_chosen(self, event: OptionList.OptionSelected) -> None:
        self.choice = KEY_CHOICES[event.option_index]
        name_input = self.query_one("#file-name", Input)
        # Follow the type while the name is still a default one; keep a name the person typed.
        if name_input.value in ("", *generate.KEY_FILE_NAMES.values()):
            name_input.value = self._default_name()
        self._show_step(1)

    def _default_name(self) -> str:
        return generate.default_key_path(self.choice.key_type, self.directory).name

    # -- step 2: file ------------------------------------------------------------------------

    @property
    def key_path(self) -> Path:
        return self.directory / self.query_one("#file-name", Input).value

    def _existing(self) -> list[Path]:
        path = self.key_path
        return [p for p in (path, generate.public_path_for(path)) if os.path.lexists(p)]

    @on(Input.Changed, "#file-name")
    def _file_name_changed(self) -> None:
        # "replace" was ticked for the pair of the old name, not for whatever the new one hits.
        self.query_one("#replace", Checkbox).value = False
        self._refresh_file()

    def _refresh_file(self) -> None:
        name = self.query_one("#file-name", Input).value
        self.query_one("#file-error", Static).update("")
        replace = self.query_one("#replace", Checkbox)
        paths = self.query_one("#file-paths", Static)
        note = self.query_one("#dir-note", Static)
        if key_file_name_problem(name):
            paths.update("")
            note.update("")  # the "exists" note was about the previous name
            replace.display = False
            return
        path = self.key_path
        public = generate.public_path_for(path)
        paths.update(
            Content(f"Private key: {home_relative(path)}\nPublic key:  {home_relative(public)}")
        )
        existing = self._existing()
        replace.display = bool(existing)
        if not existing:
            replace.value = False
        text = ""
        if not os.path.exists(self.directory):  # os.path: never raises (an unreadable parent)
            text = f"The folder {home_relative(self.directory)} does not exist yet; it will be created (mode 0700, only you can open it)."
        elif existing:
            text = (
                "A key pair with this name exists: "
                + " and ".join(home_relative(p) for p in existing)
                + "."
            )
        note.update(Content(text))

    def _check_file(self) -> str | None:
        problem = key_file_name_problem(self.query_one("#file-name", Input).value)
        if problem:
            return problem
        if os.path.exists(self.directory) and not os.path.isdir(self.directory):
            return f"{home_relative(self.directory)} is a file, not a folder; move it away or open sshdeck on another folder."
        path = self.key_path
        if os.path.isdir(path):
            return f"{home_relative(path)} is a folder; choose another name."
        existing = self._existing()
        if existing and not self.query_one("#replace", Checkbox).value:
            return (
                f"{home_relative(existing[0])} already exists; choose another name, or tick "
                "'replace the existing pair' to move the old one to the trash."
            )
        return None

    @on(Input.Submitted, "#file-name")
    @on(Button.Pressed, "#file-next")
    def _file_next(self) -> None:
        self._refresh_file()
        problem = self._check_file()
        self.query_one("#file-error", Static).update(Content(problem or ""))
        if problem is None:
            self._show_step(2)

    # -- step 3: comment ---------------------------------------------------------------------

    @on(Input.Submitted, "#comment")
    @on(Button.Pressed, "#comment-next")
    def _comment_next(self) -> None:
        problem = comment_problem(self.query_one("#comment", Input).value)
        self.query_one("#comment-error", Static).update(Content(problem or ""))
        if problem is None:
            self._show_step(3)

    @on(Input.Changed, "#comment")
    def _comment_changed(self) -> None:
        self.query_one("#comment-error", Static).update("")

    # -- step 4: passphrase ------------------------------------------------------------------

    @on(Input.Changed, "#passphrase")
    @on(Input.Changed, "#confirm")
    def _passphrase_changed(self, event: Input.Changed) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        confirm = self.query_one("#confirm", Input).value
        if event.input.id == "passphrase":
            hints = [self._user_name(), socket.gethostname(), self.query_one("#comment", Input).value,
                     self.query_one("#file-name", Input).value]  # fmt: skip
            self.query_one("#strength", StrengthMeter).show_strength(estimate(passphrase, hints))
        mismatch = self.query_one("#mismatch", Static)
        mismatch.set_class(bool(confirm) and confirm != passphrase, "error")
        mismatch.set_class(bool(confirm) and confirm == passphrase, "ok")
        if not confirm:
            mismatch.update("")
        elif confirm != passphrase:
            mismatch.update("The two passphrases do not match.")
        else:
            mismatch.update("The two passphrases match.")
        self.query_one("#passphrase-error", Static).update("")

    @staticmethod
    def _user_name() -> str:
        try:
            return getpass.getuser()
        except Exception:
            return ""

    @on(Checkbox.Changed, "#no-passphrase")
    def _no_passphrase_changed(self, event: Checkbox.Changed) -> None:
        without = event.value
        self.query_one("#no-passphrase-warning").display = without
        for selector in ("#passphrase", "#confirm"):
            self.query_one(selector, Input).disabled = without
        remember = self.query_one("#remember", Checkbox)
        remember.disabled = without or not self._keyring.available
        if without:
            remember.value = False
        self.query_one("#passphrase-error", Static).update("")

    @on(Input.Submitted, "#passphrase")
    def _to_confirm(self) -> None:
        self.query_one("#confirm", Input).focus()

    def _check_passphrase(self) -> str | None:
        rounds = self.query_one("#rounds", Input).value
        if parse_rounds(rounds) is None:
            self.query_one("#advanced", Collapsible).collapsed = False
        return passphrase_problem(
            rounds,
            self.query_one("#no-passphrase", Checkbox).value,
            self.query_one("#passphrase", Input).value,
            self.query_one("#confirm", Input).value,
        )

    @on(Input.Submitted, "#confirm")
    @on(Input.Submitted, "#rounds")
    @on(Button.Pressed, "#generate")
    def _passphrase_next(self) -> None:
        problem = self._check_passphrase()
        self.query_one("#passphrase-error", Static).update(Content(problem or ""))
        if problem is None:
            self._start_generation()

    # -- step 5: generating ------------------------------------------------------------------

    def _start_generation(self) -> None:
        without = self.query_one("#no-passphrase", Checkbox).value
        passphrase = None if without else self.query_one("#passphrase", Input).value
        request = GenerationRequest(
            path=self.key_path,
            key_type=self.choice.key_type,
            bits=self.choice.bits,
            comment=self.query_one("#comment", Input).value,
            passphrase=passphrase,
            rounds=parse_rounds(self.query_one("#rounds", Input).value) or generate.DEFAULT_ROUNDS,
            replace=self.query_one("#replace", Checkbox).value,
            remember=self.query_one("#remember", Checkbox).value and passphrase is not None,
        )
        try:
            self.job = key_service(self).generation(request)
        except SshDeckError as err:
            self.query_one("#passphrase-error", Static).update(Content(visible(str(err))))
            return
        self.query_one("#generating-text", Static).update(
            Content(
                f"{generating_text(self.choice)} for {home_relative(request.path)}…\n"
                "Nothing is written until it is done; escape cancels."
            )
        )
        self._show_step(4)
        self._generate(self.job)

    @work(thread=True, exclusive=True, group="wizard-generate", description="generate a key pair")
    def _generate(self, job: Generation) -> None:
        """Runs in the worker thread; widgets are only touched through ``call_from_thread``."""
        try:
            result = job.run()
        except SshDeckError as err:
            file_problem = isinstance(err, (TargetExists, WriteError, KeyFileError))
            self._from_thread(self._generation_failed, job, str(err), file_problem)
            return
        except Exception as exc:  # never let a traceback (it shows locals) reach the screen
            sentence = f"Generating the key failed ({type(exc).__name__}); nothing was written."
            self._from_thread(self._generation_failed, job, sentence, False)
            return
        if isinstance(result, GenerationResult):
            self._from_thread(self._generation_done, job, result)

    def _from_thread(self, callback: object, *args: object) -> None:
        # RuntimeError: the app has closed meanwhile; the files (if any) are complete.
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(callback, *args)  # type: ignore[arg-type]

    def _cancel_generation(self) -> None:
        job = self.job
        if job is None:
            return
        if not job.cancel():
            self.notify("The key is being written; it is nearly done.", severity="warning")
            return
        self.job = None
        self._show_step(3)
        self.query_one("#passphrase-error", Static).update(
            "Generation cancelled; nothing was written."
        )

    def _generation_failed(self, job: Generation, sentence: str, file_problem: bool) -> None:
        if job is not self.job:
            return
        self.job = None
        self._show_step(1 if file_problem else 3)
        target = "#file-error" if file_problem else "#passphrase-error"
        self.query_one(target, Static).update(Content(visible(sentence)))

    def _generation_done(self, job: Generation, result: GenerationResult) -> None:
        self.result = result
        files = result.files
        self.app.post_message(KeyGenerated(files.path, files.public_path))
        self.query_one("#saved", Static).update(
            Content(
                f"Your identification has been saved in {home_relative(files.path)}\n"
                f"Your public key has been saved in {home_relative(files.public_path)}"
            )
        )
        self.query_one("#art", RandomArt).show_key(files.public)
        self.query_one("#summary", Static).update(
            Content(
                "ssh-keygen -l: " + files.public.keygen_line(comment=visible(files.public.comment))
            )
        )
        trash_folder = home_relative(result.trashed.folder) if result.trashed else None
        notes = result_notes(files.encrypted, result.stored_in_keyring, trash_folder)
        self.query_one("#result-notes", Static).update(Content(notes))
        if job is self.job:
            self.job = None
        self._show_step(5)

    # -- step 6: result ----------------------------------------------------------------------

    @on(Button.Pressed, "#upload")
    def _upload(self) -> None:
        from tui.screens.upload.screen import UploadScreen

        if self.result:
            self.app.push_screen(UploadScreen(key_path=self.result.files.path))

    @on(Button.Pressed, "#install")
    def _install(self) -> None:
        from tui.screens.upload.screen import UploadScreen

        if self.result:
            self.app.push_screen(UploadScreen(key_path=self.result.files.path, target="hosts"))

    @on(Button.Pressed, "#test")
    def _test(self) -> None:
        from tui.screens.tester import TesterScreen

        if self.result:
            self.app.push_screen(TesterScreen(key_path=self.result.files.path))

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        if self.result:
            self.app.copy_to_clipboard(self.result.files.public.line())
            self.notify("Public key copied to the clipboard.")

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.dismiss(None)
