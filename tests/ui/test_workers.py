"""The one worker wrapper: errors become notifications and the app stays up."""

from __future__ import annotations

from textual.app import App

from tui.core.errors import WriteError
from tui.workers import work


class _Crashy(App[None]):
    @work(exclusive=True)
    async def fail_async(self, exc: Exception) -> None:
        raise exc

    @work(thread=True)
    def fail_thread(self, exc: Exception) -> None:
        raise exc


async def _messages(exc: Exception, *, thread: bool) -> list[str]:
    app = _Crashy()
    async with app.run_test() as pilot:
        worker = app.fail_thread(exc) if thread else app.fail_async(exc)
        await worker.wait()
        await pilot.pause()
        assert app.is_running
        return [str(n.message) for n in app._notifications]


async def test_sshdeck_error_is_its_sentence_escaped() -> None:
    messages = await _messages(WriteError("Cannot write \x1b]52;c;x\x07 [/]."), thread=False)
    assert messages == ["Cannot write \\033]52;c;x\\007 [/]."]


async def test_oserror_in_a_thread_is_one_sentence() -> None:
    exc = PermissionError(13, "Permission denied", "/tmp/known_hosts")
    messages = await _messages(exc, thread=True)
    assert len(messages) == 1 and "Permission denied" in messages[0]
    assert "/tmp/known_hosts" in messages[0]


async def test_any_other_error_is_reported_and_the_app_lives() -> None:
    messages = await _messages(RuntimeError("secret-canary"), thread=False)
    assert len(messages) == 1 and "RuntimeError" in messages[0]
    assert "secret-canary" not in messages[0]


def test_the_key_screens_declare_workers_with_the_wrapper() -> None:
    """Every worker of the key list, its flows and the wizard goes through tui.workers.work."""
    import ast
    import inspect

    from tui.screens import key_actions, keys, wizard

    for module in (keys, key_actions, wizard):
        tree = ast.parse(inspect.getsource(module))
        imported = {
            (node.module, alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert ("tui.workers", "work") in imported, module.__name__
        assert ("textual", "work") not in imported, module.__name__
        assert "textual.work" not in inspect.getsource(module), module.__name__
