"""The connection tester (``t``): log in to a host, watch every stage, get a diagnosis.

The form (target with completion from ~/.ssh/config, user, port, key, "only this key",
verbosity, engine) starts a probe (:mod:`tui.core.connect.probe`) in a worker; its events stream into
the transcript and the stage timeline as they come, and the outcome panel ends with the next
step as a button: upload this key (to the tested ``user@host:port``), trust this host key
(unknown hosts only, after showing its fingerprint and randomart), or fix the key's
permissions. A passphrase or a password the login needs is asked in a modal. ``escape`` stops a
running probe at any stage, and leaves the screen when nothing runs; ``s`` saves the transcript
as ``~/ssh.<host>.debug``; ``/`` searches it. After a run the focus is on the transcript, so
these keys act rather than type into the host field.

Opened for one key (the key list's "test a connection with this key"), the tester offers that
key alone (``IdentitiesOnly``) until "only this key" is unticked. Untrusted text (server
banners and stderr, file names, key comments) is shown escaped and never as markup.

The probe runs in the app's :class:`~tui.core.connect.service.ProbeService` (``app.services``);
what it shows are widgets handed their texts (:class:`~tui.widgets.transcript.Transcript`,
:class:`~tui.widgets.stages.StageTimeline`, :class:`~tui.widgets.outcome.OutcomePanel`). Why
this module is over 400 lines: it is one screen's state and its handlers (the form, the run and
its cancel, the two secret prompts with their typing time, and the three next steps with their
confirmations), which share that state; split apart they would pass it back and forth.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.reactive import reactive
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Footer, Header, Input, Select
from textual.worker import Worker, WorkerState

from tui.core.connect.engine import ENGINE_NAMES, EngineName, ProbeOptions
from tui.core.connect.outcomes import Outcome
from tui.core.connect.result import ProbeResult
from tui.core.connect.service import ProbeService
from tui.core.connect.ssh_config import config_hosts
from tui.core.connect.trace import StageEvent, TranscriptLine
from tui.core.text import visible
from tui.widgets.outcome import CauseLine, OutcomePanel
from tui.widgets.stages import StageTimeline
from tui.widgets.transcript import Transcript
from tui.workers import work

VERBOSITY = [("-v", 1), ("-vv", 2), ("-vvv", 3)]
ENGINES = [("asyncssh", "asyncssh"), ("OpenSSH", "openssh")]
DEFAULT_KEYS = "__default__"
#: fewer rows than this: the compact form (see ``on_resize``)
SHORT = 30

#: the CLI's words in a diagnosis, and what the app offers in their place (the core keeps the
#: CLI's text; the screen says which button or key does the same here)
APP_WORDS: list[tuple[str, str]] = [
    (r"run again with --accept-new \(or trust it in the tester\)", 'press "Trust this host key"'),
    (r"--accept-new", '"Trust this host key"'),
    (
        r"\(--passphrase-stdin, the keyring, or the tester's prompt\)",
        "(run again and type it when asked)",
    ),
    (r"--passphrase-stdin", "the passphrase prompt"),
    (r"--password-stdin, or type it when the tester asks", "run again and type it when asked"),
    (r"--password-stdin", "the password prompt"),
    (
        r"let sshdeck look with --inspect-with-password \(or --inspect-with KEY\)",
        "let sshdeck look: run sshdeck test HOST --inspect-with-password in a terminal",
    ),
    (r"with a longer --timeout", "once the network is calmer"),
    (r"\(sshdeck copy-id or the upload screen\)", '(press "Upload this key")'),
    (r"sshdeck copy-id", '"Upload this key"'),
    (r"\(sshdeck keygen\)", "(n on the key list)"),
    (r"`sshdeck keygen -t rsa -b 4096`", "n on the key list, type RSA, 4096 bits"),
    (r"--engine openssh", "the OpenSSH engine"),
    (r"run again with -vvv", "choose -vvv"),
]


def app_words(text: str) -> str:
    """``text`` with the CLI's flags replaced by the app's buttons and keys, and paths under
    the home shown as ``~/...``."""
    for pattern, replacement in APP_WORDS:
        text = re.sub(pattern, replacement, text)
    # paths under the home as ~/...: shorter, and no user name on screen
    home = str(Path.home()).rstrip("/")
    if home:
        text = re.sub(re.escape(home) + r"(?=/)", "~", text)
    return text


def key_choices(directory: Path, preselect: Path | None) -> list[tuple[Text, str]]:
    """Private keys of the directory, for the key picker (the preselected one included)."""
    from tui.core.keys.scan import scan_directory

    choices = [(Text("agent and default keys (as ssh)"), DEFAULT_KEYS)]
    paths: list[Path] = []
    try:
        paths = [e.path for e in scan_directory(directory).keys if e.path is not None]
    except Exception:
        paths = []
    if preselect is not None and preselect not in paths:
        paths.insert(0, preselect)
    choices += [(Text(visible(path.name)), str(path)) for path in paths]
    return choices


def format_target(user: str | None, host: str, port: int | None) -> str:
    """``user@host:port`` as the Hosts tab reads it (``[v6addr]:port``)."""
    text = f"[{host}]" if ":" in host and port else host
    if port:
        text += f":{port}"
    return f"{user}@{text}" if user else text


class TesterScreen(Screen[None]):
    CSS_PATH = "tester.tcss"
    SUB_TITLE = "Connection tester"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
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
        self.result: ProbeResult | None = None
        self.worker: Worker[ProbeResult] | None = None
        self.last_host = "host"
        self.last_options: ProbeOptions | None = None
        self.tested: str = ""  # user@host:port of the last run, for "Upload this key"
        self._typing = 0.0  # seconds spent in the passphrase modal during this run
        self._typing_attempt = 0.0  # ... since the last authentication attempt ended

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        from tui.core.connect.client import InvalidTarget, parse_target

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
        with Vertical(id="tester-form"):
            with Horizontal(classes="form-row"):
                yield Input(
                    host,
                    placeholder="host or ~/.ssh/config alias",
                    suggester=SuggestFromList(config_hosts(), case_sensitive=False),
                    id="target",
                )
                yield Input(user, placeholder="user", id="user")
                yield Input(port, placeholder="port", id="port", restrict=r"[0-9]*", max_length=5)
            with Horizontal(classes="form-row"):
                yield Select(
                    choices,
                    value=str(self.key_path) if self.key_path else DEFAULT_KEYS,
                    allow_blank=False,
                    id="key",
                )
                yield Checkbox("only this key", True, id="only-key", disabled=not self.key_path)
                yield Select(VERBOSITY, value=1, allow_blank=False, id="verbosity")
                yield Select(ENGINES, value="asyncssh", allow_blank=False, id="engine")
                yield Button("Run", variant="primary", id="run")
                yield Button("Stop", variant="error", id="stop", disabled=True)
        with Horizontal(id="tester-main"):
            with Vertical(id="tester-log"):
                yield Transcript(id="transcript")
                yield Input(placeholder="search the transcript (enter: next)", id="search")
            yield StageTimeline(id="stages")
        yield OutcomePanel(id="outcome")
        yield Footer()

    def on_resize(self) -> None:
        """A short terminal (80x24): borderless form fields and buttons, no header, so the
        transcript and the whole stage timeline keep their rows."""
        short = self.size.height < SHORT
        self.set_class(short, "-short")
        for widget in self.query("#tester-form Input, #tester-form Select, #tester-form Checkbox"):
            widget.compact = short  # type: ignore[attr-defined]
        for button in self.query("#tester-form Button, #next-steps Button").results(Button):
            button.compact = short

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self.query_one("#outcome").border_subtitle = ""
        self._show_steps(None)
        self._set_outcome("Fill in a host and press enter to test the login.", "", "")
        self.query_one("#target", Input).focus()

    # ------------------------------------------------------------------ running

    @property
    def service(self) -> ProbeService:
        """The app's probe service (``make_app(services=...)``), or one from the environment."""
        probe = getattr(getattr(self.app, "services", None), "probe", None)
        if isinstance(probe, ProbeService):
            return probe
        from tui.core.settings import Settings

        return ProbeService(Settings.from_environment())

    def options(self) -> ProbeOptions:
        """The probe options from the form; raises InvalidArgument for bad input."""
        from dataclasses import replace

        from tui.core.connect.client import ConnectOptions, Target, parse_target
        from tui.core.errors import InvalidArgument

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
        only = bool(identities) and self.query_one("#only-key", Checkbox).value
        chosen = self.query_one("#engine", Select).value
        engine: EngineName = next((name for name in ENGINE_NAMES if name == chosen), "asyncssh")
        connect = ConnectOptions(
            target=target,
            identities=identities,
            identities_only=True if only else None,
            timeout=self.timeout,
            ask_passphrase=self._ask_passphrase,
            ask_password=self._ask_password,
            debug_level=3,  # keep every level: the verbosity picker only filters the view
        )
        return self.service.options(connect, engine=engine)

    def action_run(self) -> None:
        if self.running:
            return
        from tui.core.errors import SshDeckError

        try:
            options = self.options()
        except (SshDeckError, ValueError) as exc:
            self.notify(visible(str(exc)), severity="error", markup=False)
            return
        target = options.connect.target
        self.last_host = target.host
        self.last_options = options
        self.tested = format_target(target.user, target.host, target.port)
        self.result = None
        self._typing = self._typing_attempt = 0.0
        self.query_one(Transcript).clear_lines()
        self.query_one(StageTimeline).reset()
        self.query_one("#outcome").border_subtitle = ""  # that file holds the previous run
        self._set_outcome("Testing…", "", "")
        self._show_steps(None)
        self.running = True
        # the keys of the screen (s, /, escape) act from here on, not typing into the form
        self.query_one(Transcript).focus()
        self.worker = self._probe(options)

    @work(exclusive=True, group="probe")
    async def _probe(self, options: ProbeOptions) -> ProbeResult:
        result = await self.service.run(options, self._on_event)
        self.result = result
        return result

    def _on_event(self, event: TranscriptLine | StageEvent) -> None:
        if isinstance(event, TranscriptLine):
            self.query_one(Transcript).add_line(event.level, event.text)
        elif isinstance(event, StageEvent):
            self.query_one(StageTimeline).record(self._without_typing(event))

    def _without_typing(self, event: StageEvent) -> StageEvent:
        """A stage's time without the seconds a person spent typing a passphrase in it."""
        if event.ok is None:
            return event
        if event.name.startswith("authentication: "):
            spent, self._typing_attempt = self._typing_attempt, 0.0
        elif event.name == "authentication":
            spent = self._typing
        else:
            return event
        ms = max(0, event.ms - int(spent * 1000))
        return StageEvent(event.name, event.ok, ms, event.detail)

    async def _ask_passphrase(self, path: Path, sha256: str) -> str | None:
        from tui.screens.passphrase import AskPassphrase

        began = time.monotonic()
        try:
            answer: str | None = await self.app.push_screen_wait(
                AskPassphrase(
                    escape(f"Passphrase for {visible(path.name)}"),
                    escape(f"{visible(str(path))}\n{sha256}"),
                )
            )
        finally:
            spent = time.monotonic() - began
            self._typing += spent
            self._typing_attempt += spent
        return answer

    async def _ask_password(self, prompt: str) -> str | None:
        from tui.screens.password import AskPassword

        began = time.monotonic()
        try:
            answer: str | None = await self.app.push_screen_wait(
                AskPassword(f"Password for {self.tested}", prompt)
            )
        finally:
            spent = time.monotonic() - began
            self._typing += spent
            self._typing_attempt += spent
        return answer

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.worker:
            return
        state = event.state
        if state == WorkerState.SUCCESS:
            self.running = False
            if self.result is None:  # the worker reported its error as a notification
                self.query_one(StageTimeline).stop_running()
                self._set_outcome("The test could not run (see the message above).", "", "")
            else:
                self._show_result(self.result)
            self._focus_after_run()
            self._keep_following()
        elif state == WorkerState.CANCELLED:
            self.running = False
            self.query_one(StageTimeline).stop_running()
            self.query_one(Transcript).add_line(0, "Stopped.")
            self._set_outcome("Stopped.", "Nothing was changed; press enter to run again.", "")
            self._focus_after_run()
        elif state == WorkerState.ERROR:
            self.running = False
            self._set_outcome("The test could not run.", "", "")
            self._focus_after_run()

    def _focus_after_run(self) -> None:
        """Never leave the focus in the form: s and / must act, not type into the host."""
        focused = self.focused
        if focused is None or isinstance(focused, Input) or focused.id in ("run", "stop"):
            self.query_one(Transcript).focus()

    def _keep_following(self) -> None:
        """The outcome panel may have taken rows from the transcript: show its last line."""
        transcript = self.query_one(Transcript)
        if transcript.auto_scroll:
            self.call_after_refresh(transcript.scroll_end, animate=False)

    def watch_running(self, running: bool) -> None:
        self.query_one("#run", Button).disabled = running
        self.query_one("#stop", Button).disabled = not running

    # ------------------------------------------------------------------ outcome

    def _set_outcome(
        self,
        diagnosis: str,
        fix: str,
        hostkey: str,
        ok: bool | None = None,
        login: str = "",
        note: str = "",
        causes: tuple[CauseLine, ...] = (),
    ) -> None:
        self.query_one(OutcomePanel).show(
            diagnosis, fix, hostkey, ok=ok, login=login, note=note, causes=causes
        )

    def _show_result(self, result: ProbeResult) -> None:
        hostkey = ""
        if result.outcome == Outcome.HOST_KEY_UNKNOWN and result.host_public_key is not None:
            hostkey = result.host_public_key.randomart()
        login = ""
        used = result.accepted_key if result.ok else None
        if used is not None:
            name = visible(used.name)
            login = f"Logged in with {name} ({used.label} {used.sha256})"
            # AuthenticationMethods publickey,password: the key, then what the server also wanted
            also = result.auth_method if result.partial_success else None
            login += f" and {visible(str(also))}." if also and also != "publickey" else "."
        elif result.ok and result.auth_method:
            login = f"Logged in with {visible(str(result.auth_method))}."
        # the ranked causes of a refusal are listed apart, each with its check on the server
        causes = tuple(
            CauseLine(
                visible(app_words(cause.text), multiline=True),
                visible(app_words(cause.check), multiline=True),
                cause.confirmed,
            )
            for cause in result.causes
        )
        self._set_outcome(
            visible(app_words(f"{result.outcome}: {result.evidence}"), multiline=True),
            visible(app_words(result.fix), multiline=True),
            hostkey,
            ok=result.ok,
            login=login,
            note=app_words(result.power_os_note or ""),
            causes=causes,
        )
        self._show_steps(result)

    def _show_steps(self, result: ProbeResult | None) -> None:
        outcome = result.outcome if result is not None else None
        self.query_one(OutcomePanel).show_steps(
            upload=outcome == Outcome.AUTH_FAILED and self._upload_key() is not None,
            trust=result is not None
            and outcome == Outcome.HOST_KEY_UNKNOWN
            and self._trustable(result),
            fix=outcome == Outcome.KEY_PERMISSIONS,
        )

    def _hash_known_hosts(self) -> bool:
        """``HashKnownHosts`` for the tested host, as ssh reads it from the config files."""
        from tui.core.connect.client import resolve_config
        from tui.core.errors import SshDeckError

        if self.last_options is None:
            return False
        try:
            return bool(resolve_config(self.last_options.connect).hash_known_hosts)
        except (SshDeckError, OSError):
            return False

    @staticmethod
    def _trustable(result: ProbeResult) -> bool:
        """The target's own key, seen: a ProxyJump host that failed is named by the diagnosis,
        but its key is not the one in the result, so it is never trusted from here."""
        return result.host_public_key is not None and not result.failed_host

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
        """The Hosts tab, pre-filled with the user, host and port just tested."""
        from tui.screens.upload.screen import UploadScreen

        self.app.push_screen(UploadScreen(self._upload_key(), target="hosts", hosts=self.tested))

    @on(Button.Pressed, "#trust")
    @work(exclusive=True, group="confirm")
    async def trust(self) -> None:
        from tui.core.connect import known_hosts
        from tui.screens.modals import ConfirmScreen

        result = self.result
        # unknown hosts only: a changed host key is never trusted from here, however asked
        if result is None or result.outcome != Outcome.HOST_KEY_UNKNOWN:
            return
        key = result.host_public_key
        if key is None or not self._trustable(result):
            return
        host, port = result.host or self.last_host, result.port or 22
        path = result.known_hosts_file or Path.home() / ".ssh" / "known_hosts"
        name = known_hosts.host_name(host, port)
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                escape(f"Trust the host key of {visible(name)}?"),
                f"{key.label} key fingerprint is {key.sha256}.\n{key.randomart()}\n"
                "Compare it with the fingerprint your provider's console shows.",
                known_hosts.entry_line(host, port, key),
                confirm_label="Trust and add to known_hosts",
            )
        )
        if not confirmed:
            return
        try:
            known_hosts.append(path, host, port, key, hashed=self._hash_known_hosts())
        except OSError as exc:
            reason = (exc.strerror or type(exc).__name__).lower()
            self.notify(
                f"Could not add the host key to {visible(str(path))} ({reason}); nothing was "
                "trusted: make that folder writable and press the button again.",
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        self.notify(f"Added {visible(name)} to {visible(str(path))}.", markup=False)
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
        command = f"chmod 600 {visible(str(target))}"
        if await self.app.push_screen_wait(
            ConfirmScreen("Make the key private?", "", command, "Fix")
        ):
            from tui.core.keys.scan import set_mode

            set_mode(target, 0o600, command)  # a failure is one sentence (tui.workers.work)
            self.notify(f"{visible(str(target))} is now 0600.", markup=False)
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

    @on(Select.Changed, "#key")
    def _key_changed(self, event: Select.Changed) -> None:
        """ "only this key" means something only when one key is chosen."""
        self.query_one("#only-key", Checkbox).disabled = event.value in (DEFAULT_KEYS, Select.BLANK)

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
            self.notify(
                f"{visible(event.value)!r} is not in the transcript.",
                severity="warning",
                markup=False,
            )

    def action_follow(self) -> None:
        self.query_one(Transcript).follow()

    def action_save(self) -> None:
        from tui.core.connect.probe import transcript_name
        from tui.core.errors import SshDeckError

        lines = list(self.result.lines) if self.result is not None else []
        if not lines:
            transcript = self.query_one(Transcript)
            lines = [TranscriptLine(level, text) for level, text in transcript.entries]
        if not lines:
            self.notify("Nothing to save yet: run a test first.", severity="warning")
            return
        path = Path.home() / transcript_name(self.last_host)
        try:
            self.service.save_transcript(lines, path)
        except (SshDeckError, OSError) as exc:
            from tui.workers import error_sentence

            self.notify(error_sentence(exc), severity="error", markup=False)
            return
        self.query_one("#outcome").border_subtitle = f"saved ~/{path.name}"
        self.notify(f"Transcript saved to {visible(str(path))}.", markup=False)
