"""The upload flows as services: a host install run (authorized_keys, like ssh-copy-id) and the
cloud session (the IBM Cloud login that lives as long as the app).

Both are built from one :class:`~tui.core.settings.Settings` (``Services.create(settings)`` for
the app, ``Settings.from_environment()`` in a CLI command), so nothing below reads the
environment itself. The screens call them from workers; every blocking call (keyring, files)
says so, and the async ones may run on the app's loop. Results and events are frozen
dataclasses; failures are :class:`~tui.core.errors.SshDeckError` subclasses with one sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui.core import secrets
from tui.core.connect.client import ConnectOptions, Target, parse_target
from tui.core.errors import InvalidArgument, SshDeckError
from tui.core.keys.public import PublicKey, read_public_key_file
from tui.core.settings import Settings
from tui.core.text import visible
from tui.core.upload.authorized_keys import (
    HostProgress,
    HostResult,
    default_private_key,
    target_label,
)
from tui.core.upload.cloud_session import CloudSession
from tui.core.upload.install_run import install_many
from tui.core.upload.stratos import StratosClient, load_api_key
from tui.core.upload.stratos_input import prepare_public_key, validate_key_name
from tui.core.upload.zones import (
    Workspace,
    WorkspaceChoiceNeeded,
    load_chosen_workspace,
    resolve_workspace,
    save_chosen_workspace,
)

__all__ = [
    "CloudLogin",
    "CloudService",
    "HostProgress",
    "HostResult",
    "InstallPlan",
    "InstallService",
    "LoginSource",
    "UploadKey",
    "parse_targets",
    "validate_key_name",
]

#: where the API key came from: the environment, the keyring, or typed for this session
LoginSource = Literal["env", "keyring", "session"]


# -- host installs ---------------------------------------------------------------------------


def parse_targets(text: str) -> list[Target]:
    """Every ``[user@]host[:port]`` of a space- or comma-separated list; the one check of a
    target (:func:`~tui.core.connect.client.parse_target`) used by the app and ``copy-id``."""
    targets = [parse_target(word) for word in text.replace(",", " ").split()]
    if not targets:
        raise InvalidArgument("Type at least one target, such as root@192.0.2.10.")
    return targets


def public_key_of(path: Path) -> Path:
    """The key list hands over the private key when there is no .pub; take its .pub when it is."""
    if path.suffix != ".pub" and path.with_name(path.name + ".pub").is_file():
        return path.with_name(path.name + ".pub")
    return path


@dataclass(frozen=True)
class InstallPlan:
    """One run: the key (``copy-id`` may install every line of a file), the logins, and the
    private key to verify the new login with afterwards."""

    public_key: PublicKey | tuple[PublicKey, ...]
    options: tuple[ConnectOptions, ...]
    dry_run: bool = False
    verify_with: Path | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(
            target_label(o.target.host, o.target.user, o.effective_port) for o in self.options
        )


@dataclass(frozen=True)
class InstallService:
    """Install a public key into the authorized_keys of many hosts at once (ssh-copy-id)."""

    settings: Settings
    #: hosts worked on at once (``sshdeck copy-id --parallel``'s default is 8; the app uses 10)
    parallel: int = 10

    def read_public_key(self, text: str) -> tuple[Path, PublicKey]:
        """The public key named in the form (``~`` expanded, a private key's .pub taken).
        Blocking (reads the file)."""
        text = text.strip()
        if not text:
            raise InvalidArgument("Choose the public key to install (a .pub file).")
        path = public_key_of(Path(text).expanduser())
        return path, read_public_key_file(path)

    def login_key(self, public_path: Path) -> Path | None:
        """The private half beside a .pub, to verify the new login with (and to test with)."""
        return default_private_key(public_path)

    def plan(
        self,
        key_text: str,
        targets_text: str,
        *,
        identity: str | None = None,
        password: str | None = None,
        accept_new: bool = False,
        dry_run: bool = False,
    ) -> InstallPlan:
        """Check the whole form at once; a mistake is one sentence and nothing starts.

        ``identity`` (a private key the hosts trust) or ``password`` replace the agent and the
        default keys; an empty one is a mistake, not "use the agent".
        """
        public_path, public_key = self.read_public_key(key_text)
        targets = parse_targets(targets_text)
        login: dict[str, object] = {}
        if identity is not None:
            if not identity.strip():
                raise InvalidArgument(
                    "Type the private key to log in with, or choose another method."
                )
            login = {"identities": (Path(identity.strip()).expanduser(),), "use_agent": False}
        elif password is not None:
            if not password:
                raise InvalidArgument("Type the account's password, or choose another method.")
            login = {"password": password, "use_agent": False}
        options = tuple(
            ConnectOptions(target=target, accept_new=accept_new, **login)  # type: ignore[arg-type]
            for target in targets
        )
        return InstallPlan(public_key, options, dry_run, self.login_key(public_path))

    async def run(
        self, plan: InstallPlan, on_progress: Callable[[HostProgress], None] | None = None
    ) -> list[HostResult]:
        """Install on every host of the plan; a host's failure is its result, never an error."""
        return await install_many(
            plan.public_key,
            list(plan.options),
            parallel=self.parallel,
            dry_run=plan.dry_run,
            verify_with=plan.verify_with,
            on_progress=on_progress,
        )


# -- the cloud ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadKey:
    """The key the Stratos tab uploads, read once (off the UI thread)."""

    path: Path
    text: str
    public: PublicKey | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CloudLogin:
    """A checked login: where its key came from, a warning to show, the workspaces it sees."""

    source: LoginSource
    workspaces: tuple[Workspace, ...]
    chosen: Workspace | None = None
    warning: str | None = None


@dataclass(frozen=True)
class CloudService:
    """The Stratos for Power client built from the settings, and the app's one login."""

    settings: Settings
    #: the one login, kept for the app's lifetime
    session: CloudSession = field(default_factory=CloudSession)

    def client(self, api_key: str, *, private: bool | None = None) -> StratosClient:
        """A client with the settings' endpoints, private choice, timeouts and size cap."""
        return StratosClient(api_key, private=private, settings=self.settings)

    # -- the API key (blocking: the keyring may ask a D-Bus service) --------------------------

    def find_api_key(self) -> tuple[str, LoginSource]:
        """``IBMCLOUD_API_KEY`` or the keyring's; :class:`NoApiKey` when neither has one."""
        key = load_api_key(self.settings)
        return key, "env" if key == self.settings.ibmcloud_api_key else "keyring"

    def keyring_status(self) -> secrets.KeyringStatus:
        return secrets.keyring_status()

    def where_a_key_is_kept(self) -> str:
        """How a typed key would be kept, for the login prompt."""
        status = self.keyring_status()
        if status.available:
            return "it is stored in the system keyring"
        return f"it is kept while sshdeck runs: {status.reason}"

    def store_api_key(self, api_key: str) -> str | None:
        """Keep the key in the keyring: None when stored, else the keyring's reason (``""`` when
        it gives none)."""
        if secrets.store_secret(secrets.API_KEY_NAME, api_key):
            return None
        return secrets.keyring_status().reason or ""

    def forget_api_key(self) -> bool:
        """Remove the key ``sshdeck cloud login`` (or the app) stored; False when none was."""
        return secrets.delete_secret(secrets.API_KEY_NAME)

    # -- the login, the chosen workspace -------------------------------------------------------

    async def log_in(self, client: StratosClient, api_key: str, source: LoginSource) -> CloudLogin:
        """Check the key with IAM, keep a typed one in the keyring, then list the workspaces.

        The session is logged in as soon as IAM accepts the key, so that a network failure
        while listing keeps the login (the caller sees the error and may retry).
        """
        warning = None
        await client.token()
        if source == "session":
            refused = await asyncio.to_thread(self.store_api_key, api_key)
            if refused is None:
                source = "keyring"
            else:
                warning = f"Logged in while sshdeck runs: {refused or 'The keyring refused it.'}"
        self.session.log_in(api_key, source)
        workspaces = await client.workspaces()
        self.session.workspaces = list(workspaces)
        chosen: Workspace | None = None
        try:
            chosen = await asyncio.to_thread(self.resolve_workspace, workspaces, None)
        except WorkspaceChoiceNeeded:
            chosen = None
        except SshDeckError as exc:
            warning = warning or str(exc)
        return CloudLogin(source, tuple(workspaces), chosen, warning)

    def log_out(self) -> None:
        self.session.log_out()

    def resolve_workspace(self, workspaces: Sequence[Workspace], wanted: str | None) -> Workspace:
        """The named, remembered or only workspace (blocking: reads the config file)."""
        return resolve_workspace(list(workspaces), wanted, config=self.settings.config_file)

    def chosen_workspace_id(self) -> str | None:
        """The CRN or GUID remembered in the config file (blocking)."""
        return load_chosen_workspace(self.settings.config_file)

    def remember_workspace(self, ws: Workspace) -> None:
        """Remember ``ws`` for next time (blocking: writes the config file)."""
        save_chosen_workspace(ws, self.settings.config_file)

    async def workspace(self, client: StratosClient, wanted: str | None) -> Workspace:
        """The workspace a command names (remembered when named) among those the login sees."""
        ws = self.resolve_workspace(await client.workspaces(), wanted)
        if wanted:
            self.remember_workspace(ws)
        return ws

    # -- the key to upload ---------------------------------------------------------------------

    def read_upload_key(self, path: Path) -> UploadKey:
        """Read the .pub the tab uploads (blocking); a problem is the ``error`` sentence."""
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return UploadKey(
                path, "", None, error=f"{visible(str(path))} cannot be read; choose another key."
            )
        try:
            public, warnings = prepare_public_key(text)
        except SshDeckError as exc:
            return UploadKey(path, text, None, error=str(exc))
        return UploadKey(path, text, public, warnings)
