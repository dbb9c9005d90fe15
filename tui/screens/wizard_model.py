"""What the key wizard shows and asks, without Textual: the choices, the step names, the rounds
field. The checks are the core's (``tui.core.validate``) and the generation is the core's
(``tui.core.keys.service.KeyService.generation``): this module keeps only UI-side text.
"""

from __future__ import annotations

from dataclasses import dataclass


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
NO_PASSPHRASE_WARNING = "Without a passphrase, anyone who gets a copy of the file can use the key."


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


def passphrase_problem(
    rounds_text: str, without: bool, passphrase: str, confirm: str
) -> str | None:
    """Why step 4 cannot go on, as one sentence, or None."""
    if parse_rounds(rounds_text) is None:
        return (
            f"KDF rounds must be a whole number from {MIN_ROUNDS} to {MAX_ROUNDS} "
            "(16 is the default)."
        )
    if without:
        return None
    if not passphrase:
        return "Type a passphrase twice, or tick 'no passphrase' to make a key without one."
    if confirm != passphrase:
        return "The two passphrases do not match; type the same passphrase in both fields."
    return None


def result_notes(encrypted: bool, stored_in_keyring: bool | None, trash_folder: str | None) -> str:
    """The notes under the new key: encryption, keyring, and where a replaced pair went."""
    notes = ["Encrypted with your passphrase." if encrypted else "Not encrypted (no passphrase)."]
    if stored_in_keyring is True:
        notes.append("The passphrase is stored in the system keyring.")
    elif stored_in_keyring is False:
        notes.append("The keyring refused to store the passphrase; nothing was stored.")
    if trash_folder is not None:
        notes.append(f"The old pair was moved to the trash: {trash_folder}")
    return "\n".join(notes)
