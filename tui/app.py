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
from tui.core.scan import default_directory
from tui.messages import InstallRequested, KeyGenerated, KeysChanged, TestRequested
from tui.screens.keys import KeysScreen
from tui.widgets.key_details import home_relative


class SshDeckApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "sshdeck"
    COMMANDS = App.COMMANDS | {KeyCommands}
    # q and ? live on the key list screen: in a dialog or the wizard, q must not quit

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__()
        self.directory = Path(directory).expanduser() if directory else default_directory()
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
        from tui.screens.upload import UploadScreen

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

    def _fatal_error(self) -> None:
        """Textual's crash report, without local variables: Textual's own shows every frame's
        locals, and a crash in a screen holding a passphrase, password or API key would print it
        on the terminal. Same report otherwise (Textual 8.2.8 ``App._fatal_error``)."""
        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None, suppress=[rich])
        self._exit_renderables.append(
            Segments(self.console.render(traceback, self.console.options))
        )
        self._close_messages_no_wait()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(directory: Path | None = None) -> SshDeckApp:
    """The one way to build the app (CLI, tests, screenshots, benchmarks)."""
    return SshDeckApp(directory)
