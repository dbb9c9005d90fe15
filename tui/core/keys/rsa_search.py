"""The one way sshdeck makes an RSA key: a prime search raced in child processes, cancellable.

Generating a large RSA key is a random search for two primes; its time varies from a tenth of a
second to several seconds. Independent searches on each core, keeping the first key that is
ready, cut the typical wait roughly by the number of cores and the long tail much more (the
command line's speed). Each search is a child process, not a thread of ours:

- its CPU time is not the app's (the event loop, and Textual's test pilot that waits for the
  process to go idle, never feel it);
- with ``background=True`` it lowers its own priority first, so a slow search never competes
  with the thread that draws the screen and reads the keyboard (the wizard);
- :meth:`RsaSearch.cancel` kills every child at once (``escape`` in the wizard);
- it is started with ``fork`` + ``exec`` (``subprocess``), which is safe from a process with
  threads (the app), where a bare ``fork`` is not.

A child runs :mod:`tui.core.keys.rsa_child` as a script (it imports only ``cryptography``) and
hands its key back through a pipe, never a file; the key then lives only in this process's
memory. When no child can be started or every child fails (no ``cryptography`` for
``sys.executable``, out of memory), the search runs here instead.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

__all__ = ["BACKGROUND_NICENESS", "MAX_WORKERS", "RsaSearch", "generate_rsa_key"]

MAX_WORKERS = 4
#: the niceness a background search runs at (the wizard's)
BACKGROUND_NICENESS = 10
CHILD_SCRIPT = Path(__file__).with_name("rsa_child.py")


def _in_process(bits: int) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


class RsaSearch:
    """One RSA key search: :meth:`run` (blocking) returns the key, or None once cancelled.

    :meth:`cancel` may be called from any thread, before or during :meth:`run`.
    """

    def __init__(self, bits: int, workers: int | None = None, *, background: bool = False) -> None:
        self.bits = bits
        self.workers = workers or min(os.cpu_count() or 1, MAX_WORKERS)
        self.background = background
        self._lock = threading.Lock()
        self._cancelled = False
        self._children: list[subprocess.Popen[bytes]] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def children(self) -> tuple[subprocess.Popen[bytes], ...]:
        """The child searches started so far."""
        with self._lock:
            return tuple(self._children)

    @property
    def running(self) -> bool:
        """True while at least one child search is alive."""
        with self._lock:
            return any(child.poll() is None for child in self._children)

    def cancel(self) -> None:
        """Stop the search: every child is killed; :meth:`run` returns None."""
        with self._lock:
            self._cancelled = True
            self._kill_all()

    def _kill_all(self) -> None:
        for child in self._children:
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()

    def _start(self) -> None:
        command = [sys.executable, "-I", str(CHILD_SCRIPT), str(self.bits)]
        if self.background:
            command.append(str(BACKGROUND_NICENESS))
        for _ in range(max(1, self.workers)):
            try:
                child = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                break  # no more processes: race with the ones started
            with self._lock:
                self._children.append(child)
                if self._cancelled:
                    child.kill()

    def _wait_first(self) -> bytes:
        """The first complete key a child hands back (b"" when none does)."""
        pending = {child.stdout.fileno(): child for child in self._children if child.stdout}
        while pending:
            ready, _, _ = select.select(list(pending), [], [])
            for fd in ready:
                child = pending.pop(fd)
                data = _read_all(fd)
                if child.wait() == 0 and data:
                    return data
        return b""

    def run(self) -> Any:
        """The RSA private key (a ``cryptography`` object), or None when cancelled."""
        from cryptography.hazmat.primitives import serialization

        if self._cancelled:
            return None
        self._start()
        try:
            data = self._wait_first() if self._children else b""
        except OSError:  # a pipe failed: the search below still gives a key
            data = b""
        finally:
            with self._lock:
                self._kill_all()
            for child in self._children:
                child.wait()
                if child.stdout:
                    child.stdout.close()
        if self._cancelled:
            return None
        if not data:  # no child could start or every one failed: search here instead
            return _in_process(self.bits)
        # Our own child made it: skip the costly RSA consistency check (primality tests).
        return serialization.load_der_private_key(data, None, unsafe_skip_rsa_key_validation=True)


def generate_rsa_key(bits: int, workers: int | None = None) -> Any:
    """An RSA private key searched for on ``workers`` cores at once (not cancellable)."""
    key = RsaSearch(bits, workers).run()
    assert key is not None  # nobody can cancel this search
    return key
