"""What a person gives the Stratos upload, checked before anything goes over the network.

The name rule is the API's own (``CreateWorkspaceSSHKey.name``: the pattern below, at most 128
characters), so a bad name is caught with a clear sentence instead of a 422. The key goes
through the core parser, which refuses a paste with junk around the key. IBM documents RSA keys
for Power VMs; other types get a warning, not a refusal, since newer images accept them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tui.core.errors import InvalidArgument, KeyFormatError
from tui.core.keys.public import PublicKey, parse_public_key

NAME_PATTERN = re.compile(r"[A-Za-z0-9\-_]+(?: +[A-Za-z0-9\-_]+)*")
NAME_MAX = 128
VISIBILITIES = ("workspace", "account")
RSA_HINT = "`sshdeck keygen -t rsa -b 4096` (or `ssh-keygen -t rsa -b 4096`)"


def validate_key_name(name: str) -> str:
    if not name or len(name) > NAME_MAX or not NAME_PATTERN.fullmatch(name):
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise InvalidArgument(
            f"The key name {shown!r} is not allowed: use 1 to {NAME_MAX} letters, digits, - or _ "
            "(spaces between words allowed), for example my-laptop-key."
        )
    return name


def default_key_name(path: Path | str | None) -> str:
    """A name from the file name, cleaned to the allowed pattern: ``id_ed25519.pub`` -> ``id_ed25519``."""
    stem = Path(path).name if path else ""
    if stem.endswith(".pub"):
        stem = stem[: -len(".pub")]
    cleaned = re.sub(r"[^A-Za-z0-9\-_ ]+", "-", stem)
    cleaned = re.sub(r" +", " ", cleaned).strip(" ")
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-") or "sshdeck-key"
    return cleaned[:NAME_MAX].rstrip(" ")


def prepare_public_key(text: str) -> tuple[PublicKey, tuple[str, ...]]:
    """The key to upload and the warnings about it; junk, private keys, certificates refused."""
    public = parse_public_key(text)
    if public.is_certificate:
        raise KeyFormatError(
            "This is an SSH certificate, not a plain public key; upload the key's .pub file instead."
        )
    warnings: list[str] = []
    if public.plain_type == "ssh-rsa":
        if public.bits < 2048:
            warnings.append(
                f"This RSA key has only {public.bits} bits; make a stronger one with {RSA_HINT}."
            )
    else:
        warnings.append(
            f"IBM documents RSA keys for Power Virtual Server and this is an {public.label} key, "
            "which newer images accept but older AIX and IBM i images may not; if the VM "
            f"refuses it, make an RSA key with {RSA_HINT}."
        )
    return public, tuple(warnings)


def _quote(text: str) -> str:
    """Double quotes as IBM's docs show them, unless the text needs shell-safe single quotes."""
    if any(ch in text for ch in '"$`\\!'):
        return shlex.quote(text)
    return f'"{text}"'


def equivalent_command(
    crn: str,
    name: str,
    key_line: str,
    description: str | None = None,
    visibility: str | None = None,
) -> str:
    """The two ``ibmcloud`` commands that do the same upload, for people who script."""
    create = f"ibmcloud pi ssh-key create {shlex.quote(name)} --key {_quote(key_line)}"
    if description:
        create += f" --description {_quote(description)}"
    if visibility:
        create += f" --visibility {visibility}"
    return f"ibmcloud pi workspace target {shlex.quote(crn)}\n{create}"
