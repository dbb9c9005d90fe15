"""Throwaway keys for tests, made by the real ssh-keygen (the oracle) or by hand for sk keys."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tui.core.keys import wire

# (ssh-keygen -t, -b) for every type and a spread of sizes; small RSA where size does not matter
KEY_SPECS = [
    ("ed25519", None),
    ("ecdsa", 256),
    ("ecdsa", 384),
    ("ecdsa", 521),
    ("rsa", 1024),
    ("rsa", 2048),
    ("rsa", 3333),
    ("dsa", 1024),
]


def keygen(
    path: Path,
    key_type: str,
    bits: int | None = None,
    passphrase: str = "",
    comment: str = "t@test",
    fmt: str | None = None,
) -> Path:
    args = ["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", comment, "-f", str(path)]
    if bits:
        args += ["-b", str(bits)]
    if fmt:
        args += ["-m", fmt]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    return path


def sign_certificate(ca: Path, public: Path, principals: str = "alice,bob") -> Path:
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-s",
            str(ca),
            "-I",
            "test-id",
            "-n",
            principals,
            "-V",
            "+52w",
            str(public),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return public.with_name(public.name[: -len(".pub")] + "-cert.pub")


def sk_public_lines() -> dict[str, str]:
    """Security-key public keys built by hand (no hardware needed for the public half)."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    ed = (
        ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
        .public_key()
        .public_bytes_raw()
    )
    ed_blob = wire.string("sk-ssh-ed25519@openssh.com") + wire.string(ed) + wire.string("ssh:")
    point = (
        ec.derive_private_key(12345, ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    ec_blob = (
        wire.string("sk-ecdsa-sha2-nistp256@openssh.com")
        + wire.string("nistp256")
        + wire.string(point)
        + wire.string("ssh:")
    )
    return {
        "sk-ed25519": f"sk-ssh-ed25519@openssh.com {base64.b64encode(ed_blob).decode()} yubi@desk",
        "sk-ecdsa": f"sk-ecdsa-sha2-nistp256@openssh.com {base64.b64encode(ec_blob).decode()} yubi@desk",
    }
