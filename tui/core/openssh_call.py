"""How the openssh engine calls ``ssh``: the argument list, the config copy, the askpass helper.

ssh reads the passwd home directory, not ``$HOME``: ``-F``, ``UserKnownHostsFile`` and the default
key names are passed explicitly, and when the two homes differ ssh reads a private copy of the
config with ``~`` spelled out against HOME. A passphrase given with ``--passphrase-stdin`` reaches
ssh through ``SSH_ASKPASS``: a script that reads one line from a FIFO in a private temporary
directory, fed from memory, so the passphrase is never on disk, in an argument or in an
environment variable.
"""

from __future__ import annotations

import contextlib
import math
import os
import pwd
import re
import shutil
import tempfile
import threading
from pathlib import Path

from tui.core.connect import ConnectOptions, resolve_config
from tui.core.identities import DEFAULT_NAMES

_PATH_OPTIONS = frozenset(
    {
        "certificatefile",
        "controlpath",
        "globalknownhostsfile",
        "identityagent",
        "identityfile",
        "include",
        "revokedhostkeys",
        "userknownhostsfile",
    }
)
_OPTION = re.compile(r"^(\s*)([A-Za-z]+)(\s*=\s*|\s+)(.*)$")


def passwd_home() -> Path:
    try:
        return Path(pwd.getpwuid(os.getuid()).pw_dir)
    except KeyError:
        return Path.home()


def rehomed_config(config: Path, home: Path) -> str | None:
    """The config with ``~`` (and relative ``Include``) spelled out against ``home``.

    ssh expands ``~`` in its config to the passwd home directory, not ``$HOME``; when the two
    differ (sshdeck run with another HOME), ssh would read other keys and known_hosts than the
    asyncssh engine. None when the file cannot be read.
    """
    try:
        text = config.read_text()
    except (OSError, UnicodeDecodeError):
        return None
    lines = []
    for line in text.splitlines():
        found = _OPTION.match(line)
        if found and found.group(2).lower() in _PATH_OPTIONS:
            indent, keyword, sep, rest = found.groups()
            words = []
            for word in rest.split(" "):
                quote = '"' if word.startswith('"') else ""
                bare = word[len(quote) :]
                if bare == "~" or bare.startswith("~/"):
                    word = quote + str(home) + bare[1:]
                elif keyword.lower() == "include" and bare and not bare.startswith(("/", "~")):
                    word = quote + str(home / ".ssh" / bare)
                words.append(re.sub(r"(?<!%)%d", str(home), word))  # %d: the home too
            line = f"{indent}{keyword}{sep}{' '.join(words)}"
        lines.append(line)
    # ssh's own default, spelled against HOME; last in the file, so only where nothing above
    # set it: this reaches the ssh that ProxyJump starts, which never sees our -o options
    lines += [
        "",
        "Host *",
        f'  UserKnownHostsFile "{home}/.ssh/known_hosts" "{home}/.ssh/known_hosts2"',
    ]
    return "\n".join(lines) + "\n"


def ssh_command(
    options: ConnectOptions, command: str | None, config_copy: Path | None = None
) -> list[str]:
    """The ``ssh`` argument list for these options (HOME-relative files made explicit).

    ``config_copy`` replaces the config file given to ``-F`` (see :func:`rehomed_config`).
    """
    home = Path.home()
    # ssh takes whole seconds only ("invalid time value" for 0.5)
    args = ["ssh", "-vvv", "-o", f"ConnectTimeout={max(1, math.ceil(options.timeout))}"]
    if options.passphrase is None and options.password is None:
        args += ["-o", "BatchMode=yes"]
    elif options.password is None:  # only the askpass helper may answer, for key passphrases
        args += ["-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"]
        args += ["-o", "NumberOfPasswordPrompts=1"]
    else:  # the helper answers password and keyboard-interactive prompts, once, as ssh asks
        args += ["-o", "NumberOfPasswordPrompts=1"]
    config = options.config_file or home / ".ssh" / "config"
    resolved = resolve_config(options)
    if config_copy is not None:
        config = config_copy
    if config_copy is not None or options.config_file is not None:
        args += ["-F", str(config) if config.is_file() else "/dev/null"]
    # else: ssh reads ~/.ssh/config and /etc/ssh/ssh_config itself, as it always does
    # -o, else the config's UserKnownHostsFile, else HOME's (not the passwd home's)
    args += ["-o", f"UserKnownHostsFile={resolved.known_hosts[0]}"]
    accept = options.accept_new or resolved.accept_new  # never the config's "no": see connect
    args += ["-o", f"StrictHostKeyChecking={'accept-new' if accept else 'yes'}"]
    if options.effective_port != 22 or options.port:
        args += ["-p", str(options.effective_port)]
    for path in options.identities:
        args += ["-i", str(path.expanduser())]
    if (
        not options.identities
        and not resolved.identity_files
        and passwd_home().resolve() != home.resolve()
    ):
        for name in DEFAULT_NAMES:
            args += ["-o", f"IdentityFile={home / '.ssh' / name}"]
    if not options.use_agent:
        args += ["-o", "IdentityAgent=none"]
    user = options.target.user
    host = options.target.host
    args.append(f"{user}@{host}" if user else host)
    args.append(command if command is not None else "true")
    return args


class Askpass:
    """An ``SSH_ASKPASS`` helper answering from FIFOs that threads feed from memory.

    ssh passes the prompt as the helper's argument: ``Enter passphrase for key …`` gets the
    passphrase, every other prompt (``user@host's password:``, keyboard-interactive's
    ``(user@host) Password:``) the password. A secret not given has no FIFO: the helper then
    answers nothing and exits 1, which ssh takes as "no answer".
    """

    def __init__(self, passphrase: str | None, password: str | None = None) -> None:
        self.secrets = {"passphrase": passphrase, "password": password}
        self.directory: Path | None = None
        self.done = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> dict[str, str] | None:
        if all(value is None for value in self.secrets.values()):
            return None
        self.directory = Path(tempfile.mkdtemp(prefix="sshdeck-askpass-"))
        for name, secret in self.secrets.items():
            if secret is None:
                continue
            fifo = self.directory / name
            os.mkfifo(fifo, 0o600)
            thread = threading.Thread(target=self._feed, args=(fifo, secret), daemon=True)
            thread.start()
            self.threads.append(thread)
        script = self.directory / "askpass"
        # one line per question (read is a shell builtin: the secret is in no argument)
        script.write_text(
            "#!/bin/sh\n"
            f"case \"$1\" in 'Enter passphrase for'*) f='{self.directory}/passphrase';;\n"
            f"  *) f='{self.directory}/password';; esac\n"
            '[ -p "$f" ] || exit 1\n'
            'IFS= read -r answer < "$f"\nprintf \'%s\\n\' "$answer"\n'
        )
        script.chmod(0o700)
        env = dict(os.environ)
        env.update(SSH_ASKPASS=str(script), SSH_ASKPASS_REQUIRE="force", DISPLAY=":0")
        return env

    def _feed(self, fifo: Path, secret: str) -> None:
        while not self.done.is_set():
            try:
                with open(fifo, "w") as handle:  # blocks until the helper opens it
                    if self.done.is_set():
                        return
                    handle.write(secret + "\n")
            except BrokenPipeError:  # the helper had its line and left: wait for the next one
                continue

    def __exit__(self, *exc: object) -> None:
        if self.directory is None:
            return
        self.done.set()
        for name in self.secrets:
            with contextlib.suppress(OSError):  # unblock a feeder waiting for a reader
                fd = os.open(self.directory / name, os.O_RDONLY | os.O_NONBLOCK)
                os.close(fd)
        for thread in self.threads:
            thread.join(timeout=2)
        shutil.rmtree(self.directory, ignore_errors=True)
