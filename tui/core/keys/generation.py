"""Key generation as the app and the CLI run it: a request, a cancellable run, a result.

``KeyService.generation(request)`` makes a :class:`Generation`; ``run()`` (blocking, in a worker
thread) makes the key and, unless ``cancel()`` came first, moves a replaced pair to the trash,
writes the new one and stores the passphrase in the keyring when asked. The key material is
made in a thread of its own (at background priority for the app); RSA is searched for by
:class:`~tui.core.keys.rsa_search.RsaSearch` (children raced on every core, killed by
``cancel``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core import secrets
from tui.core.errors import SshDeckError
from tui.core.keys import generate, trash
from tui.core.keys.rsa_search import BACKGROUND_NICENESS, RsaSearch
from tui.core.settings import Settings

__all__ = [
    "BACKGROUND_NICENESS",
    "Generation",
    "GenerationCancelled",
    "GenerationRequest",
    "GenerationResult",
    "lower_thread_priority",
]


@dataclass(frozen=True)
class GenerationRequest:
    """A new pair to make. The passphrase is kept out of ``repr`` (worker logs, tracebacks)."""

    path: Path
    key_type: str = generate.DEFAULT_TYPE
    bits: int | None = None
    comment: str = ""
    passphrase: str | None = field(default=None, repr=False)
    rounds: int = generate.DEFAULT_ROUNDS
    #: move an existing pair of that name to the trash just before writing the new one
    replace: bool = False
    #: store the passphrase in the system keyring (by fingerprint) once the pair is written
    remember: bool = False
    #: write over an existing pair in place (the CLI's ``--force``; ``replace`` keeps a copy)
    overwrite: bool = False
    #: make the key at background priority (the app); the command line runs at full speed
    background: bool = True


@dataclass(frozen=True)
class GenerationResult:
    files: generate.KeyPairFiles
    trashed: trash.TrashRecord | None
    stored_in_keyring: bool | None  # None: not asked


@dataclass(frozen=True)
class GenerationCancelled:
    """``cancel()`` came before anything was written: no file changed."""

    path: Path


def lower_thread_priority() -> bool:
    """Make the calling thread a background one (Linux: ``setpriority`` on the thread id).

    True when the priority was lowered; elsewhere nothing changes.
    """
    setpriority = getattr(os, "setpriority", None)
    native_id = getattr(threading, "get_native_id", None)
    if setpriority is None or native_id is None or not hasattr(os, "PRIO_PROCESS"):
        return False
    try:
        thread_id = native_id()
        current = os.getpriority(os.PRIO_PROCESS, thread_id)
        setpriority(os.PRIO_PROCESS, thread_id, max(current, BACKGROUND_NICENESS))
    except OSError:
        return False
    return True


class Generation:
    """One run of a :class:`GenerationRequest`: ``run()`` in a worker, ``cancel()`` from anywhere.

    ``finished`` is set when ``run`` returns or raises (tests and the screen wait on it).
    """

    def __init__(self, request: GenerationRequest, settings: Settings) -> None:
        self.request = request
        self.settings = settings
        self.bits = generate.check_request(request.key_type, request.bits)
        self.finished = threading.Event()
        self._lock = threading.Lock()
        self._cancelled = False
        self._committing = False  # past the point of no return: files are being written
        self.search: RsaSearch | None = None
        if request.key_type == "rsa":
            self.search = RsaSearch(self.bits, background=request.background)

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> bool:
        """Stop before anything is written; False when the files are already being written."""
        with self._lock:
            if self._committing:
                return False
            self._cancelled = True
        if self.search is not None:
            self.search.cancel()  # an RSA search nobody wants any more
        return True

    def make_key(self) -> generate.NewKey | None:
        """The key material, made in a thread of its own at background priority (None: cancelled).

        A thread of its own because Textual's worker threads are pooled and reused: an ordinary
        user cannot raise a thread's priority back, so the lowered one must die with the thread.
        Daemon, so that quitting the app never waits for a search nobody wants any more.
        """
        outcome: dict[str, Any] = {}
        request = self.request

        def make() -> None:
            if request.background:
                lower_thread_priority()
            try:
                if self.search is not None:
                    key = self.search.run()
                    outcome["key"] = None if key is None else generate.new_key(key, request.comment)
                else:
                    outcome["key"] = generate.generate_private_key(
                        request.key_type, self.bits, request.comment
                    )
            except BaseException as exc:  # handed to the waiting thread, raised there
                outcome["error"] = exc

        thread = threading.Thread(target=make, name="sshdeck-keygen", daemon=True)
        thread.start()
        try:
            thread.join()
        except BaseException:  # ctrl+c on the command line: no search may outlive us
            self.cancel()
            raise
        if "error" in outcome:
            raise outcome["error"]
        key: generate.NewKey | None = outcome["key"]
        return key

    def run(self) -> GenerationResult | GenerationCancelled:
        """Make the key, then (unless cancelled first) trash the replaced pair and write the new.

        A replaced pair is put back from the trash when writing the new one fails.
        """
        try:
            return self._run()
        finally:
            self.finished.set()

    def _run(self) -> GenerationResult | GenerationCancelled:
        request = self.request
        key = None if self._cancelled else self.make_key()
        with self._lock:
            if self._cancelled or key is None:
                return GenerationCancelled(request.path)
            self._committing = True
        trashed: trash.TrashRecord | None = None
        if request.replace:
            pair = (request.path, generate.public_path_for(request.path))
            old = [p for p in pair if os.path.lexists(p)]
            if old:
                trashed = trash.move_to_trash(old)
        try:
            files = generate.write_key_pair(
                key, request.path, request.passphrase, request.rounds, request.overwrite
            )
        except BaseException:
            if trashed is not None:
                with contextlib.suppress(SshDeckError, OSError):
                    trash.restore(trashed)  # else it stays in the trash folder, still recoverable
            raise
        stored = None
        if request.remember and request.passphrase:
            stored = secrets.store_passphrase(files.public.sha256, request.passphrase)
        return GenerationResult(files, trashed, stored)
