"""RSA generation raced on every core: the first finished search wins.

Generating a large RSA key is a random search for two primes; its time varies from a tenth of a
second to several seconds. Running independent searches on each core and keeping the first key
that is ready cuts the typical wait roughly by the number of cores, and the long tail much more.
Each search runs in a forked child (OpenSSL re-seeds its random generator after a fork), hands
its key back through a pipe (never a file), and the losers are killed.

Forking is only safe from a single-threaded process, so only the command line uses this; the
app generates in a worker thread with :func:`rsa.generate_private_key` directly.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from typing import Any

MAX_WORKERS = 4


def _search(bits: int, write_end: int) -> None:  # pragma: no cover - runs in the child
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    data = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    view = memoryview(data)
    while view:
        view = view[os.write(write_end, view) :]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def generate_rsa_key(bits: int, workers: int | None = None) -> Any:
    """An RSA private key (cryptography object), searched for on ``workers`` cores at once."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    count = workers or min(os.cpu_count() or 1, MAX_WORKERS)
    if count < 2 or not hasattr(os, "fork"):
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    children: dict[int, int] = {}  # read end -> pid
    data = b""
    try:
        for _ in range(count):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                code = 1
                try:
                    os.close(read_end)
                    _search(bits, write_end)
                    code = 0
                finally:
                    os._exit(code)
            os.close(write_end)
            children[read_end] = pid
        pending = set(children)
        while pending and not data:
            ready, _, _ = select.select(list(pending), [], [])
            for fd in ready:
                pending.discard(fd)
                data = data or _read_all(fd)
    finally:
        for fd, pid in children.items():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(fd)
    try:
        # Our own child made it: skip the costly RSA consistency check (primality tests).
        return serialization.load_der_private_key(data, None, unsafe_skip_rsa_key_validation=True)
    except ValueError:  # every child failed (out of memory...): search here instead
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
