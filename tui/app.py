"""SshDeckApp: the main screen (the key list), the help screen and the command palette.

Thin by design: the key list screen owns the state and the actions; the app only wires
screens together, so that tests, the screenshot runner and ``sshdeck`` build the same app
through ``make_app``.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App

from tui.commands import KeyCommands
from tui.messages import InstallRequested, KeyGenerated, KeysChanged, TestRequested
from tui.screens.keys import KeysScreen
from tui.services import Services
from tui.widgets.key_details import home_relative


class NoLocalsCrashReport(App[None]):
    """The one place sshdeck leans on a private Textual API: ``App._fatal_error``.

    Textual prints a crash report on exit with every frame's local variables
    (``Traceback(show_locals=True)``); a crash in a screen holding a passphrase, password or
    API key would print it on the terminal. No public setting turns that off, so this override
    draws the same report without locals (Textual 8.2.8's ``App._fatal_error`` otherwise).

    ``tests/ui/test_security.py`` fails loudly when Textual changes the private methods this
    relies on (it records their source's SHA-256 in ``TEXTUAL_PRIVATE_SOURCES``) and proves
    the behaviour (a canary passphrase in a local never reaches the terminal).
    """

    #: SHA-256 of the dedented source of the Textual methods this override was checked against.
    TEXTUAL_PRIVATE_SOURCES = {
        "_fatal_error": "bf3dcc000252fdfd2f0900343814c236cb66b94bf9657d9246ed42c1fff9c6b2",
        "_handle_exception": "ee684ee67163e360eeb42cc1c87fbd220e811de3606f6f8b7d94db7183aeb376",
    }

    def _fatal_error(self) -> None:
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()


class SshDeckApp(NoLocalsCrashReport):
    CSS_PATH = "app.tcss"
    TITLE = "sshdeck"
    COMMANDS = App.COMMANDS | {KeyCommands}
    # q and ? live on the key list screen: in a dialog or the wizard, q must not quit

    def __init__(self, directory: Path | None = None, services: Services | None = None) -> None:
        super().__init__()
        #: the core's services (settings, keys, probe, installs, cloud); screens use them
        self.services = services or Services.create()
        self.directory = (
            Path(directory).expanduser() if directory else self.services.settings.ssh_dir
        )
        self.sub_title = home_relative(self.directory)
        self.keys_screen = KeysScreen(self.directory)

    def on_mount(self) -> None:
        # pushed rather than returned by get_default_screen: Textual loads a screen's CSS_PATH
        # only for pushed screens
        self.push_screen(self.keys_screen)

    @on(KeyGenerated)
    def _key_generated(self, message: KeyGenerated) -> None:
        """A screen (the wizard) wrote a pair: rescan and put the cursor on it."""
        self.keys_screen.select_after_scan(message.path.name)

    @on(KeysChanged)
    def _keys_changed(self) -> None:
        self.keys_screen.rescan()

    @on(TestRequested)
    def _test_requested(self, message: TestRequested) -> None:
        from tui.screens.tester import TesterScreen

        self.push_screen(TesterScreen(key_path=message.key_path, target=message.target))

    @on(InstallRequested)
    def _install_requested(self, message: InstallRequested) -> None:
        from tui.screens.upload.screen import UploadScreen

        self.push_screen(UploadScreen(message.key_path, target="hosts", hosts=message.target))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key list's actions answer for the key list, even when asked of the app: whether
        ``passphrase`` or ``agent`` applies depends on the selected key, which the screen owns."""
        try:
            screen: object = self.screen
        except Exception:  # no screen yet (not running, or still starting)
            screen = None
        if isinstance(screen, KeysScreen) and any(b.action == action for b in screen.all_actions()):
            return screen.check_action(action, parameters)
        return super().check_action(action, parameters)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(directory: Path | None = None, services: Services | None = None) -> SshDeckApp:
    """The one way to build the app (CLI, tests, screenshots, benchmarks); ``services`` are the
    core's (built from the environment when not given)."""
    return SshDeckApp(directory, services)
