"""What the key wizard decides, without Textual: the choices, the checks of each step, and
the generation job that runs in a worker thread (make the key, then trash and write only if
the person did not cancel meanwhile). All key work is the core's (``tui.core.keys.generate``).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tui.core import secrets
from tui.core.errors import SshDeckError
from tui.core.keys import generate, trash
from tui.core.keys.private import entry_from_crypto
from tui.core.text import is_safe


@dataclass(frozen=True)
class KeyChoice:
    key_type: str  # as tui.core.keys.generate names it
    bits: int
    title: str
    why: str


KEY_CHOICES = (
    KeyChoice(
        "ed25519",
        256,
        "Ed25519 (recommended)",
        "Small, fast and safe; every OpenSSH since 2014 accepts it.",
    ),
    KeyChoice(
        "ecdsa", 256, "ECDSA 256", "NIST P-256, for systems whose policy requires NIST curves."
    ),
    KeyChoice(
        "ecdsa", 384, "ECDSA 384", "NIST P-384, a larger NIST curve when a policy asks for it."
    ),
    KeyChoice("ecdsa", 521, "ECDSA 521", "NIST P-521, the largest NIST curve; rarely needed."),
    KeyChoice(
        "rsa", 2048, "RSA 2048", "The size Stratos for Power's guide shows; the smallest safe RSA."
    ),
    KeyChoice("rsa", 3072, "RSA 3072", "For old servers and devices that do not know Ed25519."),
    KeyChoice("rsa", 4096, "RSA 4096", "RSA with a wider margin; slower to make and to use."),
)
#: Shown where the type is chosen: a person uploading to the cloud learns it here, not at upload.
STRATOS_NOTE = "For Stratos for Power choose RSA: IBM documents RSA keys for its servers."
STEPS = ("type", "file", "comment", "passphrase", "generating", "result")
STEP_TITLES = ("Type", "File", "Comment", "Passphrase", "Generate", "Result")
MIN_ROUNDS, MAX_ROUNDS = 1, 1000
#: Files OpenSSH keeps in ~/.ssh for other purposes: a key must not take their name.
RESERVED_NAMES = frozenset(
    {"authorized_keys", "authorized_keys2", "known_hosts", "known_hosts.old", "config",
     "environment", "rc"}
)  # fmt: skip
NO_PASSPHRASE_WARNING = "Without a passphrase, anyone who gets a copy of the file can use the key."


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a key file name in the key folder, as one sentence, or None."""
    if not name:
        return "Type a file name, for example id_ed25519."
    if "/" in name:
        return "Type a file name only, without '/'; the key goes in the folder shown above."
    if name in (".", ".."):
        return f"'{name}' is not a file name; choose another name."
    if any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in name):
        return "File names with spaces or control characters break ssh commands; use letters, digits, '-', '_' or '.'."
    if name.startswith("-"):
        return (
            "A file name starting with '-' would be read as an option by ssh; choose another name."
        )
    if name.endswith(".pub"):
        return "'.pub' is added for the public key; type the name without it."
    if name in RESERVED_NAMES:
        return f"{name} is used by OpenSSH for something else; choose another name."
    if len(name.encode()) > 200:
        return "That file name is too long; keep it under 200 characters."
    return None


MAX_COMMENT = 1000


def comment_problem(comment: str) -> str | None:
    """Why ``comment`` cannot be a key's comment, as one sentence, or None.

    The one check of the app (the wizard and the edit dialog): anything
    ``tui.core.text.visible`` would escape (control, C1 and bidi characters such as U+202E) is
    refused, since every ``ssh-keygen -l`` and ``authorized_keys`` would show it escaped.
    """
    if not is_safe(comment):
        return (
            "A comment cannot contain control characters (or invisible ones such as a "
            "right-to-left override); type plain text."
        )
    if len(comment) > MAX_COMMENT:
        return f"That comment is too long; keep it under {MAX_COMMENT} characters."
    return None


def generating_text(choice: KeyChoice) -> str:
    """ "Generating an Ed25519 key", "Generating a 3072-bit RSA key"."""
    label = {"ed25519": "Ed25519", "ecdsa": "ECDSA", "rsa": "RSA"}[choice.key_type]
    if choice.key_type == "ed25519":
        return f"Generating an {label} key"
    return f"Generating a {choice.bits}-bit {label} key"


def parse_rounds(text: str) -> int | None:
    """The KDF rounds typed, or None when not a whole number in the accepted range."""
    try:
        rounds = int(text.strip())
    except ValueError:
        return None
    return rounds if MIN_ROUNDS <= rounds <= MAX_ROUNDS else None


@dataclass
class GenerationJob:
    """One run of step 5. The passphrase is kept out of ``repr`` (worker logs, tracebacks)."""

    choice: KeyChoice
    path: Path
    comment: str
    passphrase: str | None = field(repr=False)
    rounds: int
    replace: bool
    remember: bool
    cancelled: bool = False
    committing: bool = False  # past the point of no return: files are being written
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
    search: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def cancel(self) -> bool:
        """Stop before anything is written; False when the files are already being written."""
        with self.lock:
            if self.committing:
                return False
            self.cancelled = True
            if self.search is not None and self.search.poll() is None:
                self.search.kill()  # an RSA search nobody wants any more
            return True


@dataclass(frozen=True)
class GenerationResult:
    files: generate.KeyPairFiles
    trashed: trash.TrashRecord | None
    stored_in_keyring: bool | None  # None: not asked


BACKGROUND_NICENESS = 10


def lower_thread_priority() -> bool:
    """Make the calling (worker) thread a background one, so that a slow RSA search never
    competes with the thread that draws the screen and reads the keyboard.

    On Linux ``setpriority`` with a thread id changes only that thread; elsewhere (or when the
    platform has no such call) nothing changes. True when the priority was lowered.
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


#: The RSA prime search, run by a child Python; the key comes back through a pipe (never a
#: file) as unencrypted PKCS#8 DER and only lives in this process's memory afterwards.
RSA_CHILD = """
import sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=int(sys.argv[1]))
sys.stdout.buffer.write(key.private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()))
"""


def rsa_in_child(job: GenerationJob) -> generate.NewKey | None:
    """An RSA key searched for by a child process; None when cancelled meanwhile.

    A child, not this process: its CPU time is not the app's (the event loop, and Textual's
    test pilot that waits for the process to go idle, never feel it), it inherits the lowered
    priority of the thread that starts it, and ``escape`` can stop it at once (``cancel``).
    """
    from cryptography.hazmat.primitives import serialization

    try:
        child = subprocess.Popen(
            [sys.executable, "-c", RSA_CHILD, str(job.choice.bits)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return generate.generate_private_key("rsa", job.choice.bits, job.comment)
    with job.lock:
        job.search = child
        if job.cancelled:
            child.kill()
    der, _ = child.communicate()
    with job.lock:
        job.search = None
        if job.cancelled:
            return None
    if child.returncode != 0 or not der:  # e.g. no cryptography for sys.executable
        return generate.generate_private_key("rsa", job.choice.bits, job.comment)
    key = serialization.load_der_private_key(der, password=None)
    blob, entry = entry_from_crypto(key, job.comment)
    return generate.NewKey(blob, entry)


def generate_in_background(job: GenerationJob) -> generate.NewKey | None:
    """The key material, made in a thread of its own at background priority (None: cancelled).

    A thread of its own because Textual's worker threads are pooled and reused: an ordinary
    user cannot raise a thread's priority back, so the lowered one must die with the thread.
    Daemon, so that quitting the app never waits for an RSA search nobody wants any more.
    """
    outcome: dict[str, object] = {}

    def search() -> None:
        lower_thread_priority()
        try:
            if job.choice.key_type == "rsa":
                outcome["key"] = rsa_in_child(job)
            else:
                outcome["key"] = generate.generate_private_key(
                    job.choice.key_type, job.choice.bits, job.comment
                )
        except BaseException as exc:  # handed to the waiting worker, raised there
            outcome["error"] = exc

    thread = threading.Thread(target=search, name="sshdeck-keygen", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    key = outcome["key"]
    assert key is None or isinstance(key, generate.NewKey)
    return key


def run_job(job: GenerationJob) -> GenerationResult | None:
    """Make the key, then (unless cancelled first) trash the replaced pair and write the new one.

    Returns None when cancelled (nothing written). Raises the core's ``SshDeckError`` on failure;
    a replaced pair is put back from the trash when writing the new one fails.
    """
    key = generate_in_background(job)
    with job.lock:
        if job.cancelled or key is None:
            return None
        job.committing = True
    trashed: trash.TrashRecord | None = None
    if job.replace:
        old = [p for p in (job.path, generate.public_path_for(job.path)) if os.path.lexists(p)]
        if old:
            trashed = trash.move_to_trash(old)
    try:
        files = generate.write_key_pair(key, job.path, job.passphrase, job.rounds)
    except BaseException:
        if trashed is not None:
            with contextlib.suppress(SshDeckError, OSError):
                trash.restore(trashed)  # else it stays in the trash folder, still recoverable
        raise
    stored = None
    if job.remember and job.passphrase:
        stored = secrets.store_passphrase(files.public.sha256, job.passphrase)
    return GenerationResult(files, trashed, stored)
