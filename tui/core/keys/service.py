"""The key flows as one service: generation and edits, with a small typed API.

Screens hold a :class:`KeyService` (``app.services.keys``) and call it from workers; the CLI
builds one from :meth:`Settings.from_environment` and calls the same methods. Results are
frozen dataclasses; failures are :class:`~tui.core.errors.SshDeckError` subclasses.

Generation: :meth:`KeyService.generation` hands back a cancellable
:class:`~tui.core.keys.generation.Generation` (RSA in child processes, see ``rsa_search``).
Edits: passphrase, comment, delete/restore through the trash, permission fixes, the keyring,
and the ssh-agent (at ``settings.ssh_auth_sock``).

The key modules are imported inside the methods: ``sshdeck fingerprint`` builds this service
too, and its start-up time counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.settings import Settings

if TYPE_CHECKING:
    from tui.core.keys.agent import AgentKey
    from tui.core.keys.generation import Generation, GenerationRequest, GenerationResult
    from tui.core.keys.private import OpenedKey
    from tui.core.keys.public import PublicKey
    from tui.core.keys.scan import KeyEntry, Problem, ScanResult
    from tui.core.keys.trash import TrashRecord
    from tui.core.secrets import KeyringStatus

__all__ = ["CommentChanged", "KeyService", "PassphraseChanged", "PermissionsFixed"]


@dataclass(frozen=True)
class PassphraseChanged:
    path: Path
    comment: str  # the key's comment (ssh-keygen -p prints it)
    encrypted: bool  # the key has a passphrase now
    remembered: bool  # the new passphrase is in the keyring
    forgotten: bool  # an old stored passphrase was removed from the keyring


@dataclass(frozen=True)
class CommentChanged:
    path: Path
    old: str
    public: PublicKey


@dataclass(frozen=True)
class PermissionsFixed:
    path: Path
    fixes: tuple[str, ...]  # the commands run, as the problems name them


@dataclass(frozen=True)
class KeyService:
    """Key generation and edits for one :class:`Settings` (HOME, agent socket, locale)."""

    settings: Settings

    # -- generation ----------------------------------------------------------------------

    def check(self, request: GenerationRequest) -> None:
        """Refuse a bad type, size, comment or rounds before any slow work (InvalidArgument)."""
        from tui.core.keys import generate
        from tui.core.validate import validate_comment

        generate.check_request(request.key_type, request.bits)
        validate_comment(request.comment)
        generate.check_rounds(request.rounds)

    def generation(self, request: GenerationRequest) -> Generation:
        """A cancellable generation ready to ``run()`` (checked first, see :meth:`check`)."""
        from tui.core.keys.generation import Generation

        self.check(request)
        return Generation(request, self.settings)

    def generate(self, request: GenerationRequest) -> GenerationResult:
        """Make and write a pair in one call (nothing can cancel it)."""
        from tui.core.keys.generation import GenerationResult

        outcome = self.generation(request).run()
        assert isinstance(outcome, GenerationResult)  # only cancel() gives anything else
        return outcome

    # -- the key directory ----------------------------------------------------------------

    @property
    def ssh_dir(self) -> Path:
        return self.settings.ssh_dir

    def scan(self, directory: Path | None = None) -> ScanResult:
        from tui.core.keys.scan import scan_directory

        return scan_directory(directory or self.settings.ssh_dir)

    def key_path(self, directory: Path, name: str) -> Path:
        """``directory/name`` for a key file name typed by a person (checked first)."""
        from tui.core.validate import validate_key_file_name

        validate_key_file_name(name)
        return Path(directory) / name

    def fingerprint_report(
        self, path: str, hash_name: str = "sha256", visual: bool = False
    ) -> list[str]:
        """What ``ssh-keygen -l`` prints, in the locale ssh-keygen would run in."""
        from tui.core.keys.keygen_listing import fingerprint_report

        return fingerprint_report(path, hash_name, visual, utf8=self.settings.utf8_locale)

    # -- the keyring ----------------------------------------------------------------------

    def keyring_status(self) -> KeyringStatus:
        from tui.core import secrets

        return secrets.keyring_status()

    def stored_passphrase(self, sha256: str) -> str | None:
        from tui.core import secrets

        return secrets.get_passphrase(sha256)

    def remember_passphrase(self, sha256: str, passphrase: str) -> bool:
        from tui.core import secrets

        return secrets.store_passphrase(sha256, passphrase)

    def forget_passphrase(self, sha256: str) -> bool:
        from tui.core import secrets

        return secrets.forget_passphrase(sha256)

    # -- passphrase and comment -----------------------------------------------------------

    def open_key(self, path: Path, passphrase: str | None) -> OpenedKey:
        """Decrypt a private key (the bcrypt KDF: call it from a thread)."""
        from tui.core.keys.private import open_private_key_file

        return open_private_key_file(Path(path), passphrase)

    def change_passphrase(
        self,
        path: Path,
        old: str | None,
        new: str | None,
        *,
        rounds: int | None = None,
        sha256: str | None = None,
        remember: bool = False,
    ) -> PassphraseChanged:
        """Add, change or remove the passphrase; with ``sha256`` the keyring follows: the new one
        is stored when ``remember`` (or when an old one was stored), a stored one is forgotten
        when the passphrase is removed."""
        from tui.core import secrets
        from tui.core.keys import generate

        opened = generate.change_passphrase(Path(path), old, new or None, rounds)
        remembered = forgotten = False
        if sha256 is not None:
            had = secrets.get_passphrase(sha256) is not None
            if new and (remember or had):
                remembered = secrets.store_passphrase(sha256, new)
            elif not new and had:
                forgotten = secrets.forget_passphrase(sha256)
        return PassphraseChanged(Path(path), opened.comment, bool(new), remembered, forgotten)

    def change_comment(
        self, path: Path, comment: str, passphrase: str | None = None
    ) -> CommentChanged:
        """Set the comment in the private key and its .pub (checked by the core's one check)."""
        from tui.core.keys import generate

        old, public = generate.replace_comment(Path(path), comment, passphrase)
        return CommentChanged(Path(path), old, public)

    # -- delete and restore ---------------------------------------------------------------

    def delete(self, paths: Sequence[Path]) -> TrashRecord:
        """Move the files to the trash (never unlinked); :meth:`restore` undoes it."""
        from tui.core.keys import trash

        return trash.move_to_trash(list(paths))

    def restore(self, record: TrashRecord) -> tuple[Path, ...]:
        from tui.core.keys import trash

        return trash.restore(record)

    # -- permissions ----------------------------------------------------------------------

    def fixable(self, entry: KeyEntry) -> tuple[Problem, ...]:
        """The problems of ``entry`` a chmod fixes."""
        from tui.core.keys.scan import FIXABLE

        return tuple(p for p in entry.problems if p.code in FIXABLE)

    def fix_permissions(self, entry: KeyEntry) -> PermissionsFixed:
        """Run the chmod of each fixable problem of ``entry``."""
        from tui.core.keys.scan import fix_problem

        problems = self.fixable(entry)
        for problem in problems:
            fix_problem(entry, problem)
        path = entry.path or entry.public_path
        assert path is not None  # a scanned entry has one or the other
        return PermissionsFixed(path, tuple(p.fix for p in problems))

    # -- the ssh-agent --------------------------------------------------------------------

    @property
    def agent_socket(self) -> str | None:
        return self.settings.ssh_auth_sock

    async def agent_keys(self) -> list[AgentKey]:
        from tui.core.keys import agent

        return await agent.list_keys(self.settings)

    async def agent_add(
        self, path: Path, opened: OpenedKey, lifetime: int | None = None
    ) -> PublicKey:
        from tui.core.keys import agent

        return await agent.add_opened(path, opened, lifetime, self.settings)

    async def agent_remove(self, public: PublicKey) -> None:
        from tui.core.keys import agent

        await agent.remove_key(public, self.settings)
