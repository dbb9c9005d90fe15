"""Hosts target of the upload pane: install the selected public key on running servers.

The panel gathers the form (targets, login method, dry run, accept-new); the app's
:class:`~tui.core.upload.service.InstallService` checks it (``plan``: one sentence for any
mistake, nothing starts) and does the work (``run``) in an async worker; its progress events
come back as messages that update one table row per host. "Test the connection" posts
:class:`~tui.messages.TestRequested`: the app opens the tester (no screen is pushed from here). Passwords live only in the password Input and in the
ConnectOptions handed to the core (whose repr hides them); they are never shown or logged.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.suggester import Suggester
from textual.widgets import Button, Checkbox, DataTable, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker

from tui.core.connect.ssh_config import config_hosts  # the tester completes targets the same way
from tui.core.errors import SshDeckError
from tui.core.keys.public import PublicKey
from tui.core.text import visible
from tui.core.upload.service import HostProgress, HostResult, InstallPlan, InstallService
from tui.core.upload.service import public_key_of as public_key_of
from tui.messages import TestRequested
from tui.screens.upload.services import services_of
from tui.workers import work

STAGE_TEXT = {
    "waiting": "· waiting",
    "connecting": "… connecting",
    "checking": "… reading authorized_keys",
    "installing": "… writing authorized_keys",
    "verifying": "… logging in with the new key",
    "cancelled": "- cancelled",
}
RESULT_TEXT = {
    "installed": "✓ installed",
    "already-present": "✓ already present",
    "would-install": "○ would install",
    "failed": "✗ failed",
}
LOGIN_METHODS = ("agent", "key", "password")


def home_relative(path: Path) -> str:
    """``~/.ssh/x.pub`` rather than the absolute path: shorter, and the same on every machine."""
    try:
        return "~/" + str(path.expanduser().resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


class TargetSuggester(Suggester):
    """Completes the last word of the targets input from ``~/.ssh/config`` Host names."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.names = names

    async def get_suggestion(self, value: str) -> str | None:
        last = value.rpartition(" ")[2]
        host = last.rpartition("@")[2]
        if not host:
            return None
        for name in self.names:
            if name.startswith(host) and name != host:
                return value + name[len(host) :]
        return None


class HostsPanel(Vertical):
    """Form, one progress row per host, and the next step (test the connection)."""

    # At 80x24 the form goes compact (one row per field, see ``on_resize``) and the panel
    # scrolls rather than cut the buttons or the table.
    DEFAULT_CSS = """
    HostsPanel { height: 1fr; padding: 0 1; overflow-y: auto; scrollbar-size-vertical: 1; }
    HostsPanel.-compact { padding: 0 0 0 1; }
    HostsPanel .row { height: auto; }
    HostsPanel Label.field { width: 12; padding: 1 1 0 0; }
    HostsPanel.-compact Label.field { padding: 0 1 0 0; }
    HostsPanel #hosts-key-path { width: 1fr; }
    HostsPanel #hosts-targets { width: 1fr; }
    HostsPanel #hosts-login { width: 30; height: auto; }
    HostsPanel #hosts-login-fields { width: 1fr; height: auto; }
    HostsPanel #hosts-identity, HostsPanel #hosts-password { width: 1fr; }
    HostsPanel .options Checkbox { width: auto; margin-right: 1; }
    HostsPanel.-compact .options Checkbox { margin-right: 0; }
    HostsPanel.-compact #hosts-login { width: 26; }
    HostsPanel .buttons { height: auto; margin: 0 0 1 0; }
    HostsPanel .buttons Button { margin-right: 2; }
    HostsPanel.-compact .buttons { margin: 1 0; }
    HostsPanel #hosts-key-info, HostsPanel #hosts-config-hint { color: $text-muted; padding: 0 0 0 12; }
    HostsPanel #hosts-error { color: $error; height: auto; }
    HostsPanel #hosts-table { height: 1fr; min-height: 5; }
    HostsPanel #hosts-summary { height: auto; }
    HostsPanel #hosts-row-detail { height: auto; color: $text-muted; }
    """
    #: below this many terminal rows the form's fields lose their borders
    COMPACT_BELOW = 32

    running: reactive[bool] = reactive(False)

    class Progressed(Message):
        """One host moved on (connecting, writing, done...)."""

        def __init__(self, event: HostProgress) -> None:
            super().__init__()
            self.event = event

    class Finished(Message):
        """Every host has a result (or the run was cancelled: ``results`` is empty)."""

        def __init__(
            self, results: list[HostResult], cancelled: bool = False, error: str | None = None
        ) -> None:
            super().__init__()
            self.results = results
            self.cancelled = cancelled
            self.error = error

    def __init__(self, key_path: Path | None = None, targets: str = "", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.initial_targets = targets
        self.key_path = public_key_of(key_path) if key_path else None
        # the path as the field shows it: a file name is untrusted, control characters escaped
        self.key_shown = visible(home_relative(self.key_path)) if self.key_path else ""
        self.config_hosts: list[str] = []  # read in compose, from the settings' ~/.ssh
        self.results: list[HostResult] = []
        self.labels: list[str] = []
        self._worker: Worker[None] | None = None

    @property
    def installs(self) -> InstallService:
        return services_of(self.app).installs

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.config_hosts = config_hosts(self.installs.settings.ssh_dir / "config")
        with Horizontal(classes="row"):
            yield Label("Key", classes="field")
            yield Input(
                self.key_shown,
                placeholder="~/.ssh/id_ed25519.pub (the public key to install)",
                id="hosts-key-path",
            )
        yield Static(id="hosts-key-info", markup=False)
        with Horizontal(classes="row"):
            yield Label("Targets", classes="field")
            yield Input(
                self.initial_targets,
                placeholder="user@host  user@host:2222  [2001:db8::1]  (space separated)",
                suggester=TargetSuggester(self.config_hosts),
                id="hosts-targets",
            )
        if self.config_hosts:
            names = [visible(name) for name in self.config_hosts[:6]]
            shown = ", ".join(names) + (" …" if len(self.config_hosts) > 6 else "")
            yield Static(
                f"From ~/.ssh/config: {shown} (type the start, → completes)",
                id="hosts-config-hint",
                markup=False,
            )
        with Horizontal(classes="row"):
            yield Label("Log in with", classes="field")
            with RadioSet(id="hosts-login"):
                yield RadioButton("agent or ~/.ssh keys", value=True, id="login-agent")
                yield RadioButton("a key file", id="login-key")
                yield RadioButton("a password", id="login-password")
            with Vertical(id="hosts-login-fields"):
                yield Input(
                    placeholder="~/.ssh/id_ed25519 (the host trusts it)",
                    id="hosts-identity",
                    disabled=True,
                )
                yield Input(
                    placeholder="password (used once, never stored)",
                    password=True,
                    id="hosts-password",
                    disabled=True,
                )
        with Horizontal(classes="row options"):
            yield Label("", classes="field")
            yield Checkbox("Dry run: no changes", id="hosts-dry-run")
            yield Checkbox("Trust unknown host keys (accept-new)", id="hosts-accept-new")
        with Horizontal(classes="buttons"):
            yield Label("", classes="field")
            yield Button("Install", variant="primary", id="hosts-install")
            yield Button("Test the connection", id="hosts-test", disabled=True)
        yield Static(id="hosts-error", markup=False)
        table: DataTable[str] = DataTable(id="hosts-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Host", key="host", width=30)
        table.add_column("Status", key="status", width=28)
        table.add_column("Detail", key="detail")
        yield table
        yield Static(id="hosts-row-detail", markup=False)
        yield Static(id="hosts-summary", markup=False)

    def on_mount(self) -> None:
        self._show_key()

    def on_resize(self) -> None:
        """Compact fields on a short terminal (80x24): the whole form and the table fit."""
        compact = self.app.size.height < self.COMPACT_BELOW
        self.set_class(compact, "-compact")
        for widget in self.query("Input, RadioSet, Checkbox, Button"):
            widget.compact = compact  # type: ignore[attr-defined]

    def watch_running(self, running: bool) -> None:
        """One run at a time: Install waits until every host has answered or escape."""
        if self.is_mounted:
            self.query_one("#hosts-install", Button).disabled = running

    # -- form --------------------------------------------------------------------------------

    @property
    def login_method(self) -> str:
        index = self.query_one("#hosts-login", RadioSet).pressed_index
        return LOGIN_METHODS[max(index, 0)]

    @on(RadioSet.Changed, "#hosts-login")
    def _login_changed(self) -> None:
        method = self.login_method
        self.query_one("#hosts-identity", Input).disabled = method != "key"
        self.query_one("#hosts-password", Input).disabled = method != "password"

    @on(Input.Changed, "#hosts-key-path")
    def _key_path_changed(self) -> None:
        self._show_key()

    def _key_field(self) -> str:
        """The key path typed, or the handed key's real path while the field still shows it
        (escaped text is never read back as a file name)."""
        value = self.query_one("#hosts-key-path", Input).value
        if self.key_path and value == self.key_shown:
            return str(self.key_path)
        return value

    def _public_key(self) -> tuple[Path, PublicKey]:
        return self.installs.read_public_key(self._key_field())

    def _show_key(self) -> None:
        info = self.query_one("#hosts-key-info", Static)
        try:
            _path, key = self._public_key()
        except SshDeckError as exc:
            info.update(visible(str(exc)))
        else:
            info.update(f"{key.label} {key.sha256} {visible(key.comment or '(no comment)')}")

    def _plan(self) -> InstallPlan:
        """The form as the service checks it: key, targets, login, options."""
        method = self.login_method
        return self.installs.plan(
            self._key_field(),
            self.query_one("#hosts-targets", Input).value,
            identity=self.query_one("#hosts-identity", Input).value if method == "key" else None,
            password=(
                self.query_one("#hosts-password", Input).value if method == "password" else None
            ),
            accept_new=self.query_one("#hosts-accept-new", Checkbox).value,
            dry_run=self.query_one("#hosts-dry-run", Checkbox).value,
        )

    # -- running -----------------------------------------------------------------------------

    @on(Button.Pressed, "#hosts-install")
    @on(Input.Submitted, "#hosts-targets")
    @on(Input.Submitted, "#hosts-password")
    def action_install(self) -> None:
        """Read the form; any mistake is one sentence in place and nothing starts."""
        if self.running:
            return
        error = self.query_one("#hosts-error", Static)
        try:
            plan = self._plan()
        except SshDeckError as exc:
            error.update(visible(str(exc)))
            return
        error.update("")
        self.results = []
        self.labels = list(plan.labels)
        table = self.query_one("#hosts-table", DataTable)
        table.clear()
        for index, label in enumerate(self.labels):
            table.add_row(Text(visible(label)), STAGE_TEXT["waiting"], "", key=str(index))
        self.query_one("#hosts-summary", Static).update(
            f"{'Checking' if plan.dry_run else 'Installing on'} {len(plan.options)} host(s)… "
            "(escape cancels)"
        )
        self.query_one("#hosts-test", Button).disabled = True
        self.running = True
        self._worker = self._install(plan)

    # an explicit description: Textual's default repeats the arguments (a password) in its repr
    @work(exclusive=True, group="hosts-install", description="install the key on the hosts")
    async def _install(self, plan: InstallPlan) -> None:
        def progress(event: HostProgress) -> None:
            self.post_message(self.Progressed(event))

        try:
            results = await self.installs.run(plan, progress)
        except Exception as exc:  # a bug, not a host problem: say so without the details
            error = f"The installation stopped unexpectedly ({type(exc).__name__}); try again."
            self.post_message(self.Finished([], error=error))
            return
        self.post_message(self.Finished(results))

    def cancel(self) -> bool:
        """Stop a running installation; False when there was nothing to stop."""
        if not self.running or self._worker is None:
            return False
        self._worker.cancel()
        self.running = False
        table = self.query_one("#hosts-table", DataTable)
        for index in range(len(self.labels)):
            status = str(table.get_cell(str(index), "status"))
            if not status.startswith(("✓", "✗", "○")):
                table.update_cell(str(index), "status", STAGE_TEXT["cancelled"])
        self.query_one("#hosts-summary", Static).update(
            "Cancelled; hosts already done keep the key, the others were not changed."
        )
        self.post_message(self.Finished([], cancelled=True))
        return True

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        event = message.event
        if not self.running or event.index >= len(self.labels):
            return
        table = self.query_one("#hosts-table", DataTable)
        row = str(event.index)
        if event.result is not None:
            result = event.result
            self.labels[event.index] = result.label
            # the detail may carry the server's own words (stderr): shown escaped, never markup
            detail = Text(visible(result.error or result.detail or ""))
            table.update_cell(row, "host", Text(visible(result.label)))
            table.update_cell(row, "status", RESULT_TEXT[result.result])
            table.update_cell(row, "detail", detail, update_width=True)
            if table.cursor_row == event.index:
                self._show_row_detail(event.index)
        else:
            table.update_cell(row, "status", STAGE_TEXT.get(event.stage, event.stage))

    @on(Finished)
    def _finished(self, message: Finished) -> None:
        if message.cancelled or not self.running:
            return
        self.running = False
        self.results = message.results
        if message.error:
            self.query_one("#hosts-error", Static).update(message.error)
            self.query_one("#hosts-summary", Static).update("")
        if not message.results:
            return
        counts: dict[str, int] = {}
        for result in message.results:
            counts[result.result] = counts.get(result.result, 0) + 1
        summary = ", ".join(
            f"{counts[name]} {RESULT_TEXT[name][2:]}" for name in RESULT_TEXT if name in counts
        )
        verified = sum(r.verified is True for r in message.results)
        if verified:
            summary += f"; the new key logged in on {verified}"
        self.query_one("#hosts-summary", Static).update(summary + ".")
        test = self.query_one("#hosts-test", Button)
        test.disabled = not any(r.result != "failed" for r in message.results)
        table = self.query_one("#hosts-table", DataTable)
        first_ok = next((i for i, r in enumerate(message.results) if r.result != "failed"), 0)
        table.move_cursor(row=first_ok)

    @on(DataTable.RowHighlighted, "#hosts-table")
    def _row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        self._show_row_detail(message.cursor_row)

    def _show_row_detail(self, index: int) -> None:
        """The highlighted host's whole sentence, wrapped (the table cell may be cut)."""
        table = self.query_one("#hosts-table", DataTable)
        text = ""
        if 0 <= index < table.row_count:
            host, status, detail = (str(cell) for cell in table.get_row_at(index))
            text = f"{host}: {detail}" if detail else ""
        self.query_one("#hosts-row-detail", Static).update(text)

    # -- next step ---------------------------------------------------------------------------

    @on(Button.Pressed, "#hosts-test")
    def action_test_connection(self) -> None:
        """Ask for the tester on the highlighted host, with the key that was just installed."""
        if not self.labels:
            return
        row = self.query_one("#hosts-table", DataTable).cursor_row
        label = self.labels[min(max(row, 0), len(self.labels) - 1)]
        key = None
        try:
            public_path, _key = self._public_key()
            key = self.installs.login_key(public_path) or public_path
        except SshDeckError:
            pass
        self.post_message(TestRequested(target=label, key_path=key))
