"""The one error path for workers: the app never dies of one.

Every worker in the app is declared with :func:`work` from this module instead of Textual's
``@work``. Its body runs inside :func:`reported`, which turns

* a :class:`~tui.core.errors.SshDeckError` into an error notification with its sentence,
* an :class:`OSError` into one sentence naming the file and the reason,
* anything else into a notification that names the error's type, with the traceback (no local
  variables: a frame could hold a passphrase) written to the app's log,

and shows each as plain text (never markup), with control characters made visible. A worker
that fails this way ends quietly; the screen that started it stays usable.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from textual import work as textual_work
from textual.worker import Worker

from tui.core.errors import SshDeckError
from tui.core.text import visible

__all__ = ["error_sentence", "report_error", "reported", "work"]

F = TypeVar("F", bound=Callable[..., Any])


def error_sentence(exc: BaseException) -> str:
    """The one sentence a person is shown for ``exc``."""
    if isinstance(exc, SshDeckError):
        return visible(str(exc))
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        where = f" ({visible(str(exc.filename))})" if exc.filename else ""
        return f"A file or network operation failed{where}: {reason}. Check it and try again."
    return (
        f"Something went wrong ({type(exc).__name__}); the app is still running. "
        "Try again, and report it if it happens again."
    )


def report_error(owner: Any, exc: BaseException) -> None:
    """Show ``exc`` as a notification of ``owner``'s app; safe from any thread."""
    app = owner.app if hasattr(owner, "app") else owner
    if not isinstance(exc, SshDeckError | OSError):
        # the traceback without locals, for the log (textual console / devtools)
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        with contextlib.suppress(Exception):  # logging must never raise here
            app.log.error(text)
    sentence = error_sentence(exc)

    def _notify() -> None:
        app.notify(sentence, severity="error", markup=False, timeout=8)

    try:
        if app._thread_id == threading.get_ident():
            _notify()
        else:
            app.call_from_thread(_notify)
    except Exception:  # the app is shutting down: nothing left to show it on
        pass


def reported(func: F) -> F:
    """Wrap a worker body (coroutine or plain function) so its errors become notifications."""
    if asyncio.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await func(self, *args, **kwargs)
            except Exception as exc:
                report_error(self, exc)
                return None

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def thread_wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(self, *args, **kwargs)
        except Exception as exc:
            report_error(self, exc)
            return None

    return thread_wrapper  # type: ignore[return-value]


def work(
    *,
    thread: bool = False,
    exclusive: bool = False,
    group: str = "default",
    description: str | None = None,
    name: str = "",
    exit_on_error: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Worker[Any]]]:
    """Textual's ``@work`` with :func:`reported` around the body: use it for every worker."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Worker[Any]]:
        wrapped = reported(func)
        return textual_work(
            wrapped,
            thread=thread,
            exclusive=exclusive,
            group=group,
            description=description,
            name=name,
            exit_on_error=exit_on_error,
        )

    return decorator
