"""Key generation and the rewrites that keep the key material: passphrase, comment, .pub.

Generation is split in two so the UI can cancel between them: :func:`generate_private_key`
(slow for RSA, touches no file) and :func:`write_key_pair` (fast, does all the writing).
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from tui.core.errors import InvalidArgument, SshDeckError, TargetExists
from tui.core.fsutil import ensure_directory
from tui.core.keys import openssh_format
from tui.core.keys.pairwrite import NewFile, key_lock, replace_files
from tui.core.keys.private import OpenedKey, entry_from_crypto, open_private_key_file
from tui.core.keys.public import PublicKey, public_key_from_blob, read_public_key_file
from tui.core.validate import validate_comment

DEFAULT_TYPE = "ed25519"
DEFAULT_BITS = {"ed25519": 256, "ecdsa": 256, "rsa": 3072}
ECDSA_SIZES = (256, 384, 521)
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384
DEFAULT_ROUNDS = openssh_format.DEFAULT_ROUNDS
KEY_FILE_NAMES = {"ed25519": "id_ed25519", "ecdsa": "id_ecdsa", "rsa": "id_rsa"}


@dataclass(frozen=True)
class NewKey:
    """A generated key that has not been written yet."""

    public_blob: bytes
    entry: openssh_format.PrivateEntry


@dataclass(frozen=True)
class KeyPairFiles:
    """A key pair on disk."""

    path: Path
    public_path: Path
    public: PublicKey
    encrypted: bool


def default_comment() -> str:
    """``user@hostname``, as ssh-keygen uses."""
    try:
        import pwd

        user = pwd.getpwuid(os.getuid()).pw_name  # the passwd entry, as ssh-keygen reads it
    except (ImportError, KeyError):
        try:
            user = getpass.getuser()
        except Exception:
            user = "user"
    return f"{user}@{socket.gethostname()}"


def default_key_path(key_type: str, ssh_dir: Path | None = None) -> Path:
    return (ssh_dir or Path.home() / ".ssh") / KEY_FILE_NAMES[key_type]


def check_request(key_type: str, bits: int | None) -> int:
    """Validate a type and size; return the size to use."""
    if key_type not in DEFAULT_BITS:
        raise InvalidArgument(
            f"Unknown key type {key_type!r}; choose ed25519 (recommended), ecdsa or rsa."
        )
    if bits is None:
        return DEFAULT_BITS[key_type]
    if key_type == "ed25519":
        return 256  # fixed size; ssh-keygen ignores -b here too
    if key_type == "ecdsa" and bits not in ECDSA_SIZES:
        raise InvalidArgument("ECDSA keys are 256, 384 or 521 bits; pick one of those.")
    if key_type == "rsa" and bits < MIN_RSA_BITS:
        raise InvalidArgument(
            f"RSA keys under {MIN_RSA_BITS} bits are unsafe; use -b 3072 or more (or ed25519)."
        )
    if key_type == "rsa" and bits > MAX_RSA_BITS:
        raise InvalidArgument(
            f"RSA keys over {MAX_RSA_BITS} bits are not supported by OpenSSH; use -b 4096."
        )
    return bits


def generate_private_key(
    key_type: str = DEFAULT_TYPE, bits: int | None = None, comment: str = "", parallel: bool = False
) -> NewKey:
    """Make new key material in memory (the slow part for RSA).

    ``parallel`` races the RSA prime search on every core in child processes
    (:mod:`tui.core.keys.rsa_search`); without it the search runs in the calling thread. A
    cancellable search is :class:`tui.core.keys.service.KeyService`'s.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    size = check_request(key_type, bits)
    if key_type == "ed25519":
        key: object = ed25519.Ed25519PrivateKey.generate()
    elif key_type == "ecdsa":
        curve: ec.EllipticCurve = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}[
            size
        ]
        key = ec.generate_private_key(curve)
    elif parallel:
        from tui.core.keys.rsa_search import generate_rsa_key

        key = generate_rsa_key(size)
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=size)
    return new_key(key, comment)


def new_key(key: object, comment: str) -> NewKey:
    """A ``cryptography`` private key as key material ready to write."""
    blob, entry = entry_from_crypto(key, comment)
    return NewKey(blob, entry)


def public_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".pub")


def check_targets(path: Path, overwrite: bool = False) -> None:
    """Refuse early (before a slow generation) what the write would refuse: a target that exists
    and may not be replaced, or one that is a directory or a special file."""
    import stat

    for target in (path, public_path_for(path)):
        try:
            st = os.lstat(target)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode):
            raise TargetExists(
                f"{target} is a directory; move it away or choose another file name."
            )
        if not overwrite:
            raise TargetExists(
                f"{target} already exists; choose another file name or use --force to replace it."
            )
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise TargetExists(
                f"{target} is not a regular file; move it away or choose another file name."
            )


def check_rounds(rounds: int | None) -> None:
    if rounds is not None and not 1 <= rounds <= openssh_format.MAX_ROUNDS:
        raise InvalidArgument(
            f"KDF rounds (-a) must be between 1 and {openssh_format.MAX_ROUNDS}; 16 is the default."
        )


def write_key_pair(
    key: NewKey,
    path: Path,
    passphrase: str | None = None,
    rounds: int = DEFAULT_ROUNDS,
    overwrite: bool = False,
) -> KeyPairFiles:
    """Write the private key (0600) and its .pub (0644) as one change; create the directory 0700.

    Both files appear together or neither does (:mod:`tui.core.keys.pairwrite`), even when replacing
    an existing pair with ``overwrite``.
    """
    path = Path(path).expanduser()
    check_rounds(rounds)
    check_targets(path, overwrite)
    ensure_directory(path.parent)
    text = openssh_format.build(key.public_blob, key.entry, passphrase or None, rounds)
    public = public_key_from_blob(key.public_blob, comment=key.entry.comment)
    pub_path = public_path_for(path)
    with key_lock(path):
        replace_files(
            path,
            [
                NewFile(path, text.encode(), 0o600),
                NewFile(pub_path, (public.line() + "\n").encode(), 0o644),
            ],
            overwrite,
        )
    return KeyPairFiles(path, pub_path, public, bool(passphrase))


def generate_key_pair(
    path: Path,
    key_type: str = DEFAULT_TYPE,
    bits: int | None = None,
    comment: str | None = None,
    passphrase: str | None = None,
    rounds: int = DEFAULT_ROUNDS,
    overwrite: bool = False,
) -> KeyPairFiles:
    """ssh-keygen in one call: check, generate, write."""
    path = Path(path).expanduser()
    check_request(key_type, bits)
    validate_comment(comment or "")
    check_targets(path, overwrite)
    key = generate_private_key(key_type, bits, default_comment() if comment is None else comment)
    return write_key_pair(key, path, passphrase, rounds, overwrite)


def _private_text(
    opened: OpenedKey, passphrase: str | None, rounds: int | None, comment: str
) -> str:
    entry = openssh_format.PrivateEntry(opened.entry.key_type, opened.entry.fields, comment)
    info = opened.info
    writable = openssh_format.WRITABLE_CIPHERS
    cipher = info.cipher if info.cipher in writable else openssh_format.DEFAULT_CIPHER
    return openssh_format.build(
        opened.public.blob,
        entry,
        passphrase or None,
        rounds or info.rounds or DEFAULT_ROUNDS,
        cipher,
    )


def _real(path: Path) -> Path:
    """Through a symlink (keys kept in a dotfiles repo...) the file it points to is rewritten,
    as ssh-keygen -p does, and the link stays."""
    return Path(os.path.realpath(path))


def change_passphrase(
    path: Path, old: str | None, new: str | None, rounds: int | None = None
) -> OpenedKey:
    """Add, change or remove the passphrase; key material and comment stay as they were."""
    path = Path(path)
    check_rounds(rounds)
    with key_lock(path):
        opened = open_private_key_file(path, old)
        text = _private_text(opened, new, rounds, opened.comment)
        replace_files(path, [NewFile(_real(path), text.encode(), 0o600)], overwrite=True)
    return opened


def check_comment(comment: str) -> None:
    """The core's one comment check (:func:`tui.core.validate.validate_comment`)."""
    validate_comment(comment)


def change_comment(path: Path, comment: str, passphrase: str | None = None) -> PublicKey:
    """Set the comment inside the private key and in the .pub beside it."""
    return replace_comment(path, comment, passphrase)[1]


def replace_comment(
    path: Path, comment: str, passphrase: str | None = None
) -> tuple[str, PublicKey]:
    """:func:`change_comment` that also returns the old comment (ssh-keygen -c shows it).

    The private key and its .pub change together or not at all.
    """
    validate_comment(comment)
    path = Path(path)
    with key_lock(path):
        opened = open_private_key_file(path, passphrase)
        text = _private_text(opened, passphrase if opened.info.encrypted else None, None, comment)
        public = public_key_from_blob(opened.public.blob, comment=comment)
        files = [NewFile(_real(path), text.encode(), 0o600)]
        pub_path = public_path_for(path)
        if os.path.lexists(pub_path):
            try:
                same = read_public_key_file(pub_path).blob == public.blob
            except SshDeckError:
                same = False
            if same:
                files.append(NewFile(_real(pub_path), (public.line() + "\n").encode(), 0o644))
        replace_files(path, files, overwrite=True)
    return opened.comment, public


def derive_public_key(path: Path, passphrase: str | None = None) -> PublicKey:
    """The public key of a private key file, with the private key's comment (ssh-keygen -y)."""
    from tui.core.keys.private import inspect_private_key, read_private_key_text

    info = inspect_private_key(read_private_key_text(Path(path)))
    if info.public is not None and info.encrypted and passphrase is None:
        # The public half of an OpenSSH key is stored in the clear: no passphrase needed
        # (only the comment is lost; ssh-keygen -y would ask for the passphrase to get it).
        return info.public
    return open_private_key_file(path, passphrase).public


def write_public_key(path: Path, passphrase: str | None = None, overwrite: bool = False) -> Path:
    """Re-create a missing (or, with ``overwrite``, replace a) .pub next to a private key."""
    path = Path(path)
    target = public_path_for(path)
    with key_lock(path):
        public = derive_public_key(path, passphrase)
        final = _real(target) if overwrite else target
        replace_files(path, [NewFile(final, (public.line() + "\n").encode(), 0o644)], overwrite)
    return target


def save_public_key(path: Path, public: PublicKey, overwrite: bool = False) -> Path:
    """Write ``public`` as the .pub of the private key ``path`` (under the key's lock)."""
    path = Path(path)
    target = public_path_for(path)
    with key_lock(path):
        final = _real(target) if overwrite else target
        replace_files(path, [NewFile(final, (public.line() + "\n").encode(), 0o644)], overwrite)
    return target
