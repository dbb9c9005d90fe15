"""The connection tester (``t``): log in to a host, watch every stage, get a diagnosis.

The form (target with completion from ~/.ssh/config, user, port, key, verbosity) starts a probe
(:mod:`tui.core.probe`) in an async worker; its events stream into the transcript and the stage
timeline as they come, and the outcome panel ends with the next step as a button: upload this
key, trust this host key (unknown hosts only, after showing its fingerprint and randomart), or
fix the key's permissions. ``escape`` stops a running probe at any stage, and leaves the screen
when nothing runs; ``s`` saves the transcript as ``~/ssh.<host>.debug``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from tui.core.ssh_config import config_hosts
from tui.core.trace import StageEvent, TranscriptLine
from tui.widgets.stages import StageTimeline
from tui.widgets.transcript import Transcript

VERBOSITY = [("-v", 1), ("-vv", 2), ("-vvv", 3)]
DEFAULT_KEYS = "__default__"


def key_choices(directory: Path, preselect: Path | None) -> list[tuple[str, str]]:
    """Private keys of the directory, for the key picker (the preselected one included)."""
    from tui.core.scan import scan_directory

    choices = [("agent and default keys (as ssh)", DEFAULT_KEYS)]
    paths: list[Path] = []
    try:
        paths = [e.path for e in scan_directory(directory).keys if e.path is not None]
    except Exception:
        paths = []
    if preselect is not None and preselect not in paths:
        paths.insert(0, preselect)
    choices += [(path.name, str(path)) for path in paths]
    return choices


class TesterScreen(Screen[None]):
    CSS_PATH = "tester.tcss"
    SUB_TITLE = "Connection tester"
    BINDINGS = [
        Binding("enter", "run", "Run"),
        Binding("escape", "stop_or_back", "Stop / back"),
        Binding("s", "save", "Save transcript"),
        Binding("slash", "search", "Search"),
        Binding("f", "follow", "Follow tail", show=False),
    ]
    #: seconds before a silent network is reported as a timeout (tests shorten it)
    timeout: float = 15.0
    running: reactive[bool] = reactive(False)

    def __init__(self, key_path: Path | None = None, target: str | None = None) -> None:
        super().__init__()
        self.key_path = key_path
        self.target = target
        self.result: Any = None
        self.worker: Worker[Any] | None = None
        self.last_host = "host"

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        from tui.core.connect import InvalidTarget, parse_target

        host, user, port = self.target or "", "", ""
        if self.target:
            try:
                parsed = parse_target(self.target)
                host, user, port = parsed.host, parsed.user or "", str(parsed.port or "")
            except InvalidTarget:
                pass
        directory = self.key_path.parent if self.key_path else Path.home() / ".ssh"
        choices = key_choices(directory, self.key_path)
        yield Header()
        with Horizontal(id="tester-form"):
            yield Input(
                host,
                placeholder="host or ~/.ssh/config alias",
                suggester=SuggestFromList(config_hosts(), case_sensitive=False),
                id="target",
            )
            yield Input(user, placeholder="user", id="user")
            yield Input(port, placeholder="port", id="port", restrict=r"[0-9]*", max_length=5)
            yield Select(
                choices,
                value=str(self.key_path) if self.key_path else DEFAULT_KEYS,
                allow_blank=False,
                id="key",
            )
            yield Select(VERBOSITY, value=1, allow_blank=False, id="verbosity")
            yield Button("Run", variant="primary", id="run")
            yield Button("Stop", variant="error", id="stop", disabled=True)
        with Horizontal(id="tester-main"):
            with Vertical(id="tester-log"):
                yield Transcript(id="transcript")
                yield Input(placeholder="search the transcript (enter: next)", id="search")
            yield StageTimeline(id="stages")
        with Horizontal(id="outcome"):
            with Vertical(id="outcome-text"):
                yield Static("Fill in a host and press enter to test the login.", id="diagnosis")
                yield Static("", id="fix")
                with Horizontal(id="next-steps"):
                    yield Button("Upload this key", id="upload")
                    yield Button("Trust this host key", variant="warning", id="trust")
                    yield Button("Fix permissions", variant="warning", id="fix-permissions")
                    yield Label("", id="saved")
            yield Static("", id="hostkey", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self._show_steps(None)
        self.query_one("#target", Input).focus()

    # ------------------------------------------------------------------ running

    def options(self) -> Any:
        """The probe options from the form; raises InvalidArgument for bad input."""
        from dataclasses import replace

        from tui.core.connect import ConnectOptions, Target, parse_target
        from tui.core.errors import InvalidArgument
        from tui.core.probe import ProbeOptions

        text = self.query_one("#target", Input).value.strip()
        if not text:
            raise InvalidArgument("Type a host (or a Host alias of ~/.ssh/config) first.")
        target = parse_target(text)
        user = self.query_one("#user", Input).value.strip()
        port_text = self.query_one("#port", Input).value.strip()
        port = int(port_text) if port_text else None
        if port is not None and not 0 < port < 65536:
            raise InvalidArgument("The port must be a number from 1 to 65535.")
        if user:
            target = replace(target, user=user)
        target = Target(target.user, target.host, port or target.port)
        key = self.query_one("#key", Select).value
        identities = () if key in (DEFAULT_KEYS, Select.BLANK) else (Path(str(key)),)
        connect = ConnectOptions(
            target=target,
            identities=identities,
            timeout=self.timeout,
            ask_passphrase=self._ask_passphrase,
            debug_level=3,  # keep every level: the verbosity picker only filters the view
        )
        return ProbeOptions(connect=connect)

    def action_run(self) -> None:
        if self.running:
            return
        from tui.core.errors import SshDeckError

        try:
            options = self.options()
        except (SshDeckError, ValueError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.last_host = options.connect.target.host
        self.result = None
        self.query_one(Transcript).clear_lines()
        self.query_one(StageTimeline).reset()
        self.query_one("#saved", Label).update("")  # that file holds the previous run
        self._set_outcome("Testing…", "", "")
        self._show_steps(None)
        self.running = True
        self.worker = self._probe(options)

    @work(exclusive=True, group="probe", exit_on_error=False)
    async def _probe(self, options: Any) -> Any:
        from tui.core.probe import run_probe

        result = await run_probe(options, self._on_event)
        self.result = result
        return result

    def _on_event(self, event: Any) -> None:
        if isinstance(event, TranscriptLine):
            self.query_one(Transcript).add_line(event.level, event.text)
        elif isinstance(event, StageEvent):
            self.query_one(StageTimeline).record(event)

    async def _ask_passphrase(self, path: Path, sha256: str) -> str | None:
        from tui.screens.passphrase import AskPassphrase

        answer: str | None = await self.app.push_screen_wait(
            AskPassphrase(f"Passphrase for {path.name}", f"{path}\n{sha256}")
        )
        return answer

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        state = event.state
        if state == WorkerState.SUCCESS:
            self.running = False
            self._show_result(self.result)
        elif state == WorkerState.CANCELLED:
            self.running = False
            self.query_one(StageTimeline).stop_running()
            self.query_one(Transcript).add_line(0, "Stopped.")
            self._set_outcome("Stopped.", "Nothing was changed; press enter to run again.", "")
        elif state == WorkerState.ERROR:
            self.running = False
            self._set_outcome(f"The test could not run: {event.worker.error}", "", "")

    def watch_running(self, running: bool) -> None:
        self.query_one("#run", Button).disabled = running
        self.query_one("#stop", Button).disabled = not running

    # ------------------------------------------------------------------ outcome

    def _set_outcome(self, diagnosis: str, fix: str, hostkey: str, ok: bool | None = None) -> None:
        panel = self.query_one("#outcome")
        panel.set_class(ok is True, "-ok")
        panel.set_class(ok is False, "-failed")
        self.query_one("#diagnosis", Static).update(diagnosis)
        self.query_one("#fix", Static).update(fix)
        box = self.query_one("#hostkey", Static)
        box.update(hostkey)
        box.display = bool(hostkey)

    def _show_result(self, result: Any) -> None:
        hostkey = ""
        if result.outcome == "host-key-unknown" and result.host_public_key is not None:
            key = result.host_public_key
            hostkey = key.randomart()
        self._set_outcome(
            f"{result.outcome}: {result.diagnosis}", result.fix, hostkey, ok=result.ok
        )
        self._show_steps(result)

    def _show_steps(self, result: Any) -> None:
        outcome = result.outcome if result is not None else None
        self.query_one("#upload").display = (
            outcome == "auth-failed" and self._upload_key() is not None
        )
        self.query_one("#trust").display = (
            outcome == "host-key-unknown" and result.host_public_key is not None
        )
        self.query_one("#fix-permissions").display = outcome == "key-permissions"

    def _upload_key(self) -> Path | None:
        key = self.query_one("#key", Select).value
        candidates = [Path(str(key))] if key not in (DEFAULT_KEYS, Select.BLANK) else []
        if self.result is not None:
            candidates += [Path(k.path) for k in self.result.offered_keys if k.path]
        for path in candidates:
            pub = path.with_name(path.name + ".pub")
            if pub.is_file():
                return pub
        return candidates[0] if candidates else None

    @on(Button.Pressed, "#upload")
    def upload(self) -> None:
        from tui.screens.upload import UploadScreen

        self.app.push_screen(UploadScreen(self._upload_key(), target="hosts"))

    @on(Button.Pressed, "#trust")
    @work(exclusive=True, group="confirm")
    async def trust(self) -> None:
        from tui.core import known_hosts
        from tui.screens.modals import ConfirmScreen

        result = self.result
        # unknown hosts only: a changed host key is never trusted from here, however asked
        if result is None or result.host_public_key is None or result.outcome != "host-key-unknown":
            return
        key = result.host_public_key
        host, port = result.host or self.last_host, result.port or 22
        path = result.known_hosts_file or Path.home() / ".ssh" / "known_hosts"
        name = known_hosts.host_name(host, port)
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                f"Trust the host key of {name}?",
                f"{key.label} key fingerprint is {key.sha256}.\n{key.randomart()}\n"
                "Compare it with the fingerprint your provider's console shows.",
                known_hosts.entry_line(host, port, key),
                confirm_label="Trust and add to known_hosts",
            )
        )
        if confirmed:
            known_hosts.append(path, host, port, key)
            self.notify(f"Added {name} to {path}.")
            self.action_run()

    @on(Button.Pressed, "#fix-permissions")
    @work(exclusive=True, group="confirm")
    async def fix_permissions(self) -> None:
        from tui.screens.modals import ConfirmScreen

        result = self.result
        if result is None:
            return
        paths = [Path(k.path) for k in result.skipped_keys if k.path]
        if not paths:
            return
        target = paths[0]
        command = f"chmod 600 {target}"
        if await self.app.push_screen_wait(
            ConfirmScreen("Make the key private?", "", command, "Fix")
        ):
            from tui.core.errors import SshDeckError
            from tui.core.scan import set_mode

            try:
                set_mode(target, 0o600, command)
            except SshDeckError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"{target} is now 0600.")
            self.action_run()

    # ------------------------------------------------------------------ keys

    @on(Button.Pressed, "#run")
    def _run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#stop")
    def _stop_pressed(self) -> None:
        self.action_stop_or_back()

    @on(Input.Submitted, "#target, #user, #port")
    def _submitted(self) -> None:
        self.action_run()

    @on(Select.Changed, "#verbosity")
    def _verbosity(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.query_one(Transcript).verbosity = event.value

    def action_stop_or_back(self) -> None:
        if self.running and self.worker is not None:
            self.worker.cancel()
            return
        search = self.query_one("#search", Input)
        if search.display:
            search.display = False
            self.query_one(Transcript).focus()
            return
        self.app.pop_screen()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        if self.query_one(Transcript).search(event.value) is None and event.value:
            self.notify(f"{event.value!r} is not in the transcript.", severity="warning")

    def action_follow(self) -> None:
        self.query_one(Transcript).follow()

    def action_save(self) -> None:
        from tui.core.errors import SshDeckError
        from tui.core.probe import save_transcript, transcript_name

        lines = self.result.lines if self.result is not None else []
        if not lines:
            transcript = self.query_one(Transcript)
            lines = [TranscriptLine(level, text) for level, text in transcript.entries]
        if not lines:
            self.notify("Nothing to save yet: run a test first.", severity="warning")
            return
        path = Path.home() / transcript_name(self.last_host)
        try:
            save_transcript(lines, path)
        except (SshDeckError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.query_one("#saved", Label).update(f"saved {path.name}")
        self.notify(f"Transcript saved to {path}.")
