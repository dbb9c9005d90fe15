"""Key commands: fingerprint, list, keygen, passwd, comment, pub.

These import neither Textual nor asyncssh: scripts call them in loops, so start-up time counts.
Each command builds the core's :class:`~tui.core.keys.service.KeyService` from
``Settings.from_environment()`` (the one read of the environment) and calls it, as the app does.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.cli.common import ask_new_passphrase, ask_secret, print_json, read_stdin_lines
from tui.core.errors import InvalidArgument, KeyFileError
from tui.core.text import visible

if TYPE_CHECKING:
    from tui.core.keys.service import KeyService


def key_service() -> KeyService:
    """The key service of this run, from the environment (read once, by ``Settings``)."""
    from tui.core.keys.service import KeyService
    from tui.core.settings import Settings

    return KeyService(Settings.from_environment())


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("fingerprint", help="show a key's fingerprint (like ssh-keygen -l)")
    p.add_argument("-v", dest="visual", action="store_true", help="also draw the randomart picture")
    p.add_argument("-E", dest="hash", choices=("sha256", "md5"), default="sha256", type=str.lower)
    p.add_argument(
        "-f",
        dest="file",
        required=True,
        help="key file (public, private, authorized_keys)",  # kept as typed: ssh-keygen shows it
    )
    p.set_defaults(func=cmd_fingerprint)

    p = subparsers.add_parser("list", help="list the keys of a directory and their problems")
    p.add_argument("--dir", type=Path, default=None, help="directory to scan (default ~/.ssh)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = subparsers.add_parser("keygen", help="generate a key pair (like ssh-keygen)")
    p.add_argument("-t", dest="type", default="ed25519", help="ed25519 (default), ecdsa or rsa")
    p.add_argument(
        "-b", dest="bits", type=int, default=None, help="size: ecdsa 256/384/521, rsa >= 2048"
    )
    p.add_argument("-C", dest="comment", default=None, help="comment (default user@hostname)")
    p.add_argument(
        "-f", dest="file", default=None, help="private key file (default ~/.ssh/id_TYPE)"
    )
    p.add_argument("-a", dest="rounds", type=int, default=16, help="bcrypt KDF rounds (default 16)")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("-N", dest="passphrase", default=None, help="passphrase ('' for none)")
    secret.add_argument(
        "--passphrase-stdin", action="store_true", help="read the passphrase from stdin"
    )
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_keygen)

    p = subparsers.add_parser("passwd", help="add, change or remove a key's passphrase")
    p.add_argument("-f", dest="file", required=True, type=Path)
    p.add_argument("-P", dest="old", default=None, help="current passphrase")
    p.add_argument("-N", dest="new", default=None, help="new passphrase ('' removes it)")
    p.add_argument("-a", dest="rounds", type=int, default=None, help="bcrypt KDF rounds")
    p.add_argument(
        "--passphrase-stdin", action="store_true", help="stdin: current line, then new line"
    )
    p.set_defaults(func=cmd_passwd)

    p = subparsers.add_parser("comment", help="change a key's comment")
    p.add_argument("-f", dest="file", required=True, type=Path)
    p.add_argument("-C", dest="comment", required=True)
    p.add_argument("-P", dest="passphrase", default=None)
    p.add_argument("--passphrase-stdin", action="store_true")
    p.set_defaults(func=cmd_comment)

    p = subparsers.add_parser(
        "pub", help="print the public key of a private key (like ssh-keygen -y)"
    )
    p.add_argument("-f", dest="file", required=True, type=Path)
    p.add_argument("-P", dest="passphrase", default=None)
    p.add_argument("--passphrase-stdin", action="store_true")
    p.add_argument("--write", action="store_true", help="save it as FILE.pub")
    p.add_argument("--force", action="store_true", help="with --write: replace an existing .pub")
    p.set_defaults(func=cmd_pub)


# -- fingerprint ---------------------------------------------------------------------------


def fingerprint_lines(path: Path | str, hash_name: str, visual: bool) -> list[str]:
    """What ``ssh-keygen -l [-v] [-E hash] -f path`` prints, line by line."""
    return key_service().fingerprint_report(str(path), hash_name, visual)


def cmd_fingerprint(args: argparse.Namespace) -> int:
    for line in fingerprint_lines(args.file, args.hash, args.visual):
        print(line)
    return 0


# -- list ----------------------------------------------------------------------------------


def _short(fp: str, width: int = 20) -> str:
    return fp if len(fp) <= width else fp[: width - 1] + "…"


def cmd_list(args: argparse.Namespace) -> int:
    if args.dir is not None and args.dir.exists() and not args.dir.is_dir():
        raise KeyFileError(
            f"{args.dir} is not a directory; give the directory that holds your keys."
        )
    if args.dir is not None and not args.dir.exists():
        # Named on purpose, so a typo must not look like an empty key directory.
        raise KeyFileError(f"{args.dir} does not exist; give the directory that holds your keys.")
    result = key_service().scan(args.dir)
    if args.json:
        print_json(result.to_json())
        return 0
    if not result.exists:
        print(
            f"{visible(str(result.directory))} does not exist; create a key with: sshdeck keygen",
            file=sys.stderr,
        )
        return 0
    rows = [("FILE", "TYPE", "BITS", "SHA256", "COMMENT", "ENCRYPTED", "PROBLEMS")]
    for entry in result.keys:
        encrypted = {True: "yes", False: "no", None: "-"}[entry.encrypted]
        problems = ",".join(p.code for p in entry.problems) or "-"
        rows.append(
            (
                visible(entry.name),
                entry.public.key_type,
                str(entry.public.bits),
                entry.public.sha256,
                visible(entry.comment) or "-",
                encrypted,
                problems,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    if not result.keys:
        print(
            f"No keys in {visible(str(result.directory))}; create one with: sshdeck keygen",
            file=sys.stderr,
        )
    for skipped in result.skipped:
        print(f"skipped {visible(str(skipped.path))}: {visible(skipped.reason)}", file=sys.stderr)
    return 0


# -- keygen --------------------------------------------------------------------------------


def _new_passphrase(args: argparse.Namespace) -> str:
    if args.passphrase is not None:
        passphrase: str = args.passphrase
        return passphrase
    value = (
        read_stdin_lines(1)[0]
        if args.passphrase_stdin
        else ask_new_passphrase("Enter passphrase (for none, run again with -N ''): ")
    )
    if not value:
        raise InvalidArgument(
            "An empty passphrase leaves the key unprotected; to do that on purpose, use -N ''."
        )
    return value


def cmd_keygen(args: argparse.Namespace) -> int:
    from tui.core.keys.generate import (
        KEY_FILE_NAMES,
        check_request,
        check_rounds,
        check_targets,
        default_comment,
        default_key_path,
    )
    from tui.core.keys.generation import GenerationRequest
    from tui.core.validate import validate_comment

    service = key_service()
    key_type = args.type.lower()
    if key_type == "dsa":
        raise InvalidArgument(
            "DSA keys are refused by OpenSSH 7.0 and later; choose ed25519 (recommended), ecdsa or rsa."
        )
    bits = check_request(key_type, args.bits)
    if args.file == "":
        raise InvalidArgument(
            "-f '' names no file; give a path such as ~/.ssh/id_ed25519, or leave -f out."
        )
    path = Path(args.file) if args.file is not None else default_key_path(key_type, service.ssh_dir)
    if path.is_dir():
        raise InvalidArgument(
            f"{path} is a directory; give a file name inside it, such as {path / KEY_FILE_NAMES[key_type]}."
        )
    check_rounds(args.rounds)
    comment = default_comment() if args.comment is None else args.comment
    validate_comment(comment)
    check_targets(path, overwrite=args.force)
    _check_writable(path.parent)
    passphrase = _new_passphrase(args)
    request = GenerationRequest(
        path,
        key_type,
        bits,
        comment,
        passphrase or None,
        args.rounds,
        overwrite=args.force,
        background=False,  # a person waits for it: every core at full speed
    )
    service.check(request)
    if not args.json:
        print(f"Generating public/private {key_type} key pair.")
    files = service.generate(request).files
    public = files.public
    if args.json:
        print_json(
            {
                "path": str(files.path),
                "public_path": str(files.public_path),
                "type": public.key_type,
                "bits": public.bits,
                "sha256": public.sha256,
                "comment": public.comment,
                "encrypted": files.encrypted,
                "randomart": public.randomart(),
            }
        )
        return 0
    shown = visible(args.file or str(files.path))  # as typed, like ssh-keygen
    print(f"Your identification has been saved in {shown}")
    print(f"Your public key has been saved in {shown}.pub")
    print("The key fingerprint is:")
    print(f"{public.sha256} {visible(public.comment)}")
    print("The key's randomart image is:")
    print(public.randomart())
    return 0


def _check_writable(directory: Path) -> None:
    """Fail before asking a passphrase or printing "Generating ...", not after the work: the
    nearest existing level of the target directory must be writable (EROFS counts too)."""
    import os

    from tui.core.errors import WriteError

    existing = directory.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise WriteError(
            f"Cannot write in {directory}: {existing} is not a directory; choose another location."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise WriteError(
            f"Cannot write in {existing} (permission denied or read-only); choose another location."
        )


# -- passwd, comment, pub ------------------------------------------------------------------


def _inspect(path: Path) -> Any:
    """inspect_private_key of a file, its errors naming the file as open_private_key_file's do."""
    from tui.core.errors import KeyFormatError, UnsupportedKeyError
    from tui.core.keys.private import inspect_private_key, read_private_key_text

    text = read_private_key_text(path)
    try:
        return inspect_private_key(text)
    except (KeyFormatError, UnsupportedKeyError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def _is_encrypted(path: Path) -> bool:
    return bool(_inspect(path).encrypted)


def _existing_passphrase(
    args: argparse.Namespace, given: str | None, stdin_lines: list[str] | None
) -> str | None:
    if given is not None:
        return given
    if stdin_lines:
        return stdin_lines.pop(0)
    if not _is_encrypted(args.file):
        return None
    return ask_secret(f"Enter passphrase for {visible(str(args.file))}: ")


def cmd_passwd(args: argparse.Namespace) -> int:
    service = key_service()
    encrypted = _is_encrypted(args.file)
    old: str | None = args.old
    new: str | None = args.new
    if args.passphrase_stdin:
        wanted = int(encrypted and old is None) + int(new is None)
        lines = [ln.rstrip("\r\n") for ln in sys.stdin.read().split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if encrypted and old is None and new is None and len(lines) == 1:
            raise InvalidArgument(
                "Expected two lines on standard input: the current passphrase, then the new one."
            )
        if not encrypted and old is None and len(lines) >= 2:
            lines.pop(0)  # the "current" line of an unencrypted key is ignored
        if len(lines) < wanted:
            raise InvalidArgument(
                f"Expected {wanted} line(s) on standard input but got {len(lines)}."
            )
        if encrypted and old is None:
            old = lines.pop(0)
        if new is None:
            new = lines.pop(0)
    else:
        if encrypted and old is None:
            old = ask_secret("Enter old passphrase: ")
        if encrypted and new is None:
            # Like ssh-keygen -p: a wrong old passphrase stops here, before the new one is asked.
            service.open_key(args.file, old)
        if new is None:
            new = ask_new_passphrase("Enter new passphrase (empty for no passphrase): ")
    changed = service.change_passphrase(
        args.file, old if encrypted else None, new or None, rounds=args.rounds
    )
    # What ssh-keygen -p prints, for adding, changing and removing alike.
    print(f"Key has comment '{visible(changed.comment)}'")
    print("Your identification has been saved with the new passphrase.")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    # An unencrypted key needs no passphrase: then stdin may be empty.
    wanted = args.passphrase_stdin and args.passphrase is None and _is_encrypted(args.file)
    lines = read_stdin_lines(1) if wanted else None
    passphrase = _existing_passphrase(args, args.passphrase, lines)
    changed = key_service().change_comment(args.file, args.comment, passphrase)
    print(f"Old comment: {visible(changed.old)}")  # the two lines ssh-keygen -c prints
    print(f"Comment '{visible(changed.public.comment)}' applied")
    return 0


def cmd_pub(args: argparse.Namespace) -> int:
    from tui.core.errors import TargetExists
    from tui.core.keys.generate import derive_public_key, public_path_for, save_public_key
    from tui.core.keys.pairwrite import try_recover

    try_recover(args.file)  # finish (or drop) an interrupted change before reading the pair
    info = _inspect(args.file)
    passphrase: str | None = args.passphrase
    if passphrase is None and args.passphrase_stdin and info.encrypted:
        passphrase = read_stdin_lines(1)[0]
    if passphrase is None and info.encrypted and info.public is None:
        passphrase = ask_secret(f"Enter passphrase for {visible(str(args.file))}: ")
    public = derive_public_key(args.file, passphrase)
    if not public.comment and info.encrypted and passphrase is None:
        # Only the clear public half was read (no passphrase asked): the comment, which lives
        # in the encrypted part, is taken from the .pub when that holds the same key.
        public = _comment_from_pub(args.file, public)
    target = public_path_for(args.file)
    if args.write:
        if os.path.lexists(target) and not args.force:
            raise TargetExists(f"{target} already exists; add --force to replace it.")
        save_public_key(args.file, public, overwrite=args.force)
        print(f"Your public key has been saved in {visible(str(target))}", file=sys.stderr)
    print(visible(public.line()))
    return 0


def _comment_from_pub(path: Path, public: Any) -> Any:
    from tui.core.errors import SshDeckError
    from tui.core.keys.public import PublicKey, read_public_key_file

    try:
        existing = read_public_key_file(path.with_name(path.name + ".pub"))
    except SshDeckError:
        return public
    if existing.blob == public.blob:
        return PublicKey(public.key_type, public.blob, existing.comment)
    return public
