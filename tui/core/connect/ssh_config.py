"""ssh_config as ssh reads it: ``-o`` options first, then ``-F FILE`` or ``~/.ssh/config`` and
``/etc/ssh/ssh_config``, the first value of an option winning; asyncssh's parser does the reading
(:mod:`tui.core.connect.asyncssh_private`), plus the options sshdeck honours itself. Also the
host aliases of ~/.ssh/config, for completion in the screens.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.connect import known_hosts as kh
from tui.core.connect.options import DEFAULT_PORT, ConnectOptions
from tui.core.errors import InvalidArgument

__all__ = [
    "SYSTEM_CONFIG",
    "ConfigFiles",
    "Resolved",
    "check_ssh_option",
    "config_hosts",
    "known_option_names",
    "resolve_config",
    "resolve_with",
]


def config_hosts(path: Path | None = None) -> list[str]:
    """Host aliases of ~/.ssh/config (no patterns), for completion."""
    config = path or Path.home() / ".ssh" / "config"
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    hosts: list[str] = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].replace("=", " ").split()
        if len(words) >= 2 and words[0].lower() == "host":
            hosts += [w for w in words[1:] if not any(c in w for c in "*?!") and w not in hosts]
    return hosts


@dataclass
class Resolved:
    """The target after ssh_config: real host name, port, user, keys, known_hosts files."""

    host: str
    port: int
    user: str
    identity_files: list[Path]
    identities_only: bool
    proxied: bool
    known_hosts: tuple[Path, ...]
    agent_path: str | None
    config_paths: list[str]
    hash_known_hosts: bool = False
    accept_new: bool = False  # the config's StrictHostKeyChecking accept-new (or no)
    strict_yes: bool = False  # StrictHostKeyChecking yes came first (-o or config)
    certificate_files: list[Path] = field(default_factory=list)
    proxy_jump: str | None = None
    host_key_algorithms: str | None = None  # the config's HostKeyAlgorithms, as written
    kex_algorithms: str | None = None
    ciphers: str | None = None
    macs: str | None = None
    pubkey_algorithms: str | None = None  # PubkeyAcceptedAlgorithms, as written
    host_key_alias: str | None = None
    batch_mode: bool = False  # BatchMode yes: never ask, no password or keyboard-interactive
    #: no option changes how the TCP connection is made (AddressFamily, BindAddress,
    #: CanonicalizeHostname, a proxy): sshdeck may open it itself, first, as ssh does
    plain_tcp: bool = False


#: read after ~/.ssh/config, as ssh does (``-F`` replaces both)
SYSTEM_CONFIG = Path("/etc/ssh/ssh_config")

#: options asyncssh's parser does not keep but sshdeck honours itself
_EXTRA_OPTIONS = (
    "HashKnownHosts",
    "StrictHostKeyChecking",
    "BatchMode",
    "PubkeyAcceptedAlgorithms",
    "PubkeyAcceptedKeyTypes",
    "CheckHostIP",
    "LogLevel",
)


#: the options of ``_EXTRA_OPTIONS`` that take yes/no (the others are kept as written)
_BOOL_OPTIONS = ("HashKnownHosts", "BatchMode", "CheckHostIP")


def _config_class() -> Any:
    """asyncssh's client config parser, plus the options sshdeck reads itself.

    A subclass with its own handler table: asyncssh's own class is left as it is.
    """
    from tui.core.connect.asyncssh_private import client_config_class

    return client_config_class(
        {name: "bool" if name in _BOOL_OPTIONS else "string" for name in _EXTRA_OPTIONS}
    )


def known_option_names() -> list[str]:
    """Every ssh_config option ``-o`` accepts: asyncssh's and sshdeck's own."""
    from tui.core.connect.asyncssh_private import config_option_names

    return sorted(set(config_option_names().values()) | set(_EXTRA_OPTIONS))


def check_ssh_option(text: str) -> str:
    """One ``-o`` option as ssh takes it (``Name=value`` or ``Name value``); returns its name.

    An option sshdeck cannot honour raises :class:`InvalidArgument` naming it.
    """
    from tui.core.connect.asyncssh_private import config_option_names

    stripped = text.strip()
    name, sep, value = stripped.partition("=")
    if not sep:
        name, _, value = stripped.partition(" ")
    name, value = name.strip(), value.strip()
    if "\n" in text or "\r" in text or not name:
        raise InvalidArgument(f"-o {text!r} is not an ssh option; write -o Name=value.")
    lowered = name.lower()
    known = set(config_option_names())
    known |= {extra.lower() for extra in _EXTRA_OPTIONS}
    if lowered not in known:
        raise InvalidArgument(
            f"sshdeck cannot honour the ssh option {name} (-o {text}); the options it takes are "
            "those of ssh_config that asyncssh reads (IdentitiesOnly, User, Port, IdentityFile, "
            "HostKeyAlgorithms, Ciphers, KexAlgorithms, MACs, PubkeyAcceptedAlgorithms, "
            "ProxyJump, UserKnownHostsFile, StrictHostKeyChecking, HashKnownHosts, ConnectTimeout"
            ", ...)."
        )
    if not value:
        raise InvalidArgument(f"-o {text!r} has no value; write -o {name}=VALUE.")
    return name


class ConfigFiles:
    """The config files ssh reads, in its order: ``-o`` options first (a private temporary
    file, so asyncssh's parser applies them with ssh's first-value-wins), then ``-F FILE``, or
    ``~/.ssh/config`` and ``/etc/ssh/ssh_config``. Removes the temporary file on exit."""

    def __init__(self, options: ConnectOptions) -> None:
        self.options = options
        self.temp: Path | None = None
        self.paths: list[str] = []
        self.shown: list[str] = []

    def __enter__(self) -> ConfigFiles:
        import tempfile

        options = self.options
        if options.config_file is not None:
            if not options.config_file.is_file():
                raise InvalidArgument(
                    f"Cannot read the config file {options.config_file}; check -F."
                )
            files = [options.config_file]
        else:
            files = [Path.home() / ".ssh" / "config", SYSTEM_CONFIG]
            files = [f for f in files if f.is_file()]
        if options.ssh_options:
            for text in options.ssh_options:
                check_ssh_option(text)
            handle, name = tempfile.mkstemp(prefix="sshdeck-o-", suffix=".conf")
            self.temp = Path(name)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("".join(text.strip() + "\n" for text in options.ssh_options))
            self.paths.append(name)
        self.paths += [str(f) for f in files]
        self.shown = [str(f) for f in files]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def _load(
    paths: list[str], host: str, port: int | None, user: str | None, temp: str | None = None
) -> Any:
    import getpass

    from tui.core.connect.asyncssh_private import import_asyncssh

    import_asyncssh()
    import asyncssh

    try:
        local_user = getpass.getuser()
    except (KeyError, OSError):
        local_user = ""
    from tui.core.connect.asyncssh_private import load_client_config

    try:
        return load_client_config(
            _config_class(), [Path(p) for p in paths], local_user, user, host, port
        )
    except asyncssh.ConfigParseError as exc:
        text = str(exc)
        if temp is not None and temp in text:  # an -o option: say so, not the temporary file
            detail = text.replace(temp, "-o").replace(" line ", " option ")
            raise InvalidArgument(f"An -o option is invalid ({detail}); fix it.") from None
        raise InvalidArgument(f"The ssh config file is invalid ({text}); fix that line.") from None
    except OSError as exc:
        raise InvalidArgument(f"Cannot read the ssh config ({exc.strerror}).") from None


def resolve_config(options: ConnectOptions) -> Resolved:
    """Apply ssh_config (asyncssh's parser) the way ssh would for this target."""
    with ConfigFiles(options) as files:
        return resolve_with(options, files)


def resolve_with(options: ConnectOptions, files: ConfigFiles) -> Resolved:
    import getpass

    explicit_port = options.port or options.target.port
    temp = str(files.temp) if files.temp is not None else None
    config: Any = _load(files.paths, options.target.host, explicit_port, options.target.user, temp)
    host = str(config.get("Hostname") or options.target.host)
    port = int(config.get("Port") or DEFAULT_PORT)
    try:
        local_user = getpass.getuser()
    except (KeyError, OSError):
        local_user = "root"
    user = str(config.get("User") or local_user)
    files_ = [Path(str(p)).expanduser() for p in config.get("IdentityFile", ()) or ()]
    certs = [Path(str(p)).expanduser() for p in config.get("CertificateFile", ()) or ()]
    if options.known_hosts_file:
        user_file: Path | None = options.known_hosts_file
    else:
        from_config = config.get("UserKnownHostsFile", ()) or ()
        user_file = Path(str(from_config[0])).expanduser() if from_config else None
    agent_path: str | None = None
    if options.use_agent:
        environment_agent = options.environment.ssh_auth_sock or ""
        agent_path = str(config.get("IdentityAgent", "") or environment_agent)
        if agent_path.lower() == "none" or not agent_path:
            agent_path = None
        elif agent_path == "SSH_AUTH_SOCK":
            agent_path = environment_agent or None
    strict = str(config.get("StrictHostKeyChecking", "")).lower()
    identities_only = bool(config.get("IdentitiesOnly", False))
    if options.identities_only is not None:
        identities_only = options.identities_only
    jump = config.get("ProxyJump")
    jump_text = str(jump) if jump and str(jump).lower() != "none" else None

    def text(name: str) -> str | None:
        value = config.get(name)
        return str(value) if value else None

    return Resolved(
        host=host,
        port=port,
        user=user,
        identity_files=files_,
        identities_only=identities_only,
        proxied=bool(jump_text or config.get("ProxyCommand")),
        known_hosts=kh.default_files(user_file),
        agent_path=agent_path,
        config_paths=files.shown or [str(Path.home() / ".ssh" / "config")],
        hash_known_hosts=bool(config.get("HashKnownHosts", False)),
        # "no" adds unknown keys too; a changed key stops all the same (never "go on")
        accept_new=strict in ("accept-new", "no", "off"),
        strict_yes=strict in ("yes", "true"),
        certificate_files=certs,
        proxy_jump=jump_text,
        host_key_algorithms=text("HostKeyAlgorithms"),
        kex_algorithms=text("KexAlgorithms"),
        ciphers=text("Ciphers"),
        macs=text("MACs"),
        pubkey_algorithms=text("PubkeyAcceptedAlgorithms"),
        host_key_alias=text("HostKeyAlias"),
        batch_mode=bool(config.get("BatchMode", False)),
        plain_tcp=not (
            jump_text
            or config.get("ProxyCommand")
            or config.get("AddressFamily")
            or config.get("BindAddress")
            or str(config.get("CanonicalizeHostname", "") or "").lower() not in ("", "no", "false")
            or getattr(config, "has_match_final", lambda: False)()  # asyncssh reloads it
        ),
    )
