"""One hierarchy of typed errors.

``str(error)`` is always one sentence that says what is wrong and what to do; the CLI prints it
as is and the app shows it in a notification. Messages never contain passphrases, passwords,
API keys or tokens.
"""

from __future__ import annotations


class SshDeckError(Exception):
    """Base of every error sshdeck reports to a person."""

    #: short machine-readable code, used in JSON output
    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class KeyFileError(SshDeckError):
    """A file could not be read: missing, a directory, no permission."""

    code = "file-error"


class KeyFormatError(SshDeckError):
    """The content is not a key sshdeck understands, or is damaged."""

    code = "bad-key"


class UnsupportedKeyError(SshDeckError):
    """A valid key of a kind this operation cannot handle."""

    code = "unsupported-key"


class PassphraseRequired(SshDeckError):
    """The private key is encrypted and no passphrase was given."""

    code = "passphrase-required"


class WrongPassphrase(SshDeckError):
    """The passphrase given does not open the key."""

    code = "wrong-passphrase"


class TargetExists(SshDeckError):
    """Writing would replace an existing file and the caller did not allow it."""

    code = "target-exists"


class WriteError(SshDeckError):
    """A file could not be written (read-only directory, disk full...)."""

    code = "write-error"


class InvalidArgument(SshDeckError):
    """A request that cannot be honoured as given (bad key size, bad name...)."""

    code = "invalid-argument"
