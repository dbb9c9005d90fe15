"""The two ways the installer reads and appends to ``~/.ssh/authorized_keys`` on a host, and the
lock that keeps concurrent installs into one account from stepping on each other.

Nothing is ever lost to a concurrent writer because the file is never replaced: new lines are
*appended*, each whole line in one write to a file opened with ``O_APPEND`` (so each lands at
the end of the file as it is at that instant), which is what ``ssh-copy-id``'s ``cat >>`` does.
A download-edit-upload (or a temporary file renamed over the old one) would drop every line
another installer appended in between; 20 concurrent ``sshdeck copy-id`` runs lost half their
lines that way before.

The check "is the key already there?" and the append are kept together by a lock on the host,
so that two installs of one key never both append it: a remote ``sh`` holds ``flock`` on the
``~/.ssh`` directory (no extra file) for as long as its stdin stays open; where ``flock`` is
missing it holds a lock directory, ``~/.ssh/.sshdeck-lock``, with its pid inside (a lock left by
a killed holder is taken over). ssh-copy-id takes no lock, so the file's size is checked again
just before writing (a missing final newline is added in the same write as the first line).

SFTP first: no remote shell, so nothing can be misquoted and any login shell works. Hosts that
disable the sftp subsystem get what ssh-copy-id does, a POSIX ``sh`` script, with two rules that
keep it safe: the script text is constant (the only number put in it is the file's size, an
int), and the lines travel on stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import stat
from dataclasses import dataclass
from typing import Any

from tui.core.errors import SshDeckError

SSH_DIR = ".ssh"
AUTHORIZED_KEYS = ".ssh/authorized_keys"
#: one SFTP write request at most (asyncssh's safe write length is 16 KiB): a line is one write
_WRITE_LIMIT = 16 * 1024
#: how long to wait for the host's lock (other installs hold it well under a second each)
LOCK_WAIT = 60.0


class RemoteFileError(SshDeckError):
    """The host would not let the file be read or appended to."""

    code = "install-failed"


@dataclass(frozen=True)
class Existing:
    """The file as read: content, permission bits, and what tells a later change (size...)."""

    content: bytes
    mode: int
    stamp: tuple[int, int]  # (size, mtime); mtime 0 when the shell cannot tell


def append_chunks(prefix: bytes, lines: list[bytes]) -> list[bytes]:
    """The writes of one append: one whole line each, the missing newline with the first."""
    chunks = [line if line.endswith(b"\n") else line + b"\n" for line in lines]
    if chunks:
        chunks[0] = prefix + chunks[0]
    return chunks


# --------------------------------------------------------------------------- the host's lock

_LOCK = """echo sshdeck-lock-start
umask 077
made=
if [ ! -d .ssh ]; then mkdir .ssh 2>/dev/null && made=" made"; fi
[ -d .ssh ] || { echo "sshdeck-lock none$made"; exit 0; }
if command -v flock >/dev/null 2>&1; then
  m="$made" flock -w {wait} -E 75 .ssh sh -c 'echo "sshdeck-lock flock$m"; exec cat >/dev/null'
  case $? in 0) exit 0;; 75) echo "sshdeck-lock busy$made"; exit 0;; esac
fi
l=.ssh/.sshdeck-lock
i=0
until mkdir "$l" 2>/dev/null; do
  [ -d "$l" ] || { echo "sshdeck-lock none$made"; exit 0; }
  p=$(cat "$l/pid" 2>/dev/null) || p=
  if [ -n "$p" ] && ! kill -0 "$p" 2>/dev/null; then rm -rf "$l"; continue; fi
  i=$((i+1))
  [ $i -lt {tries} ] || { echo "sshdeck-lock busy$made"; exit 0; }
  sleep 0.1 2>/dev/null || sleep 1
done
trap 'rm -rf "$l"' EXIT
trap 'exit 1' HUP INT TERM PIPE
echo $$ > "$l/pid"
echo "sshdeck-lock dir$made"
cat >/dev/null
"""


class RemoteLock:
    """``async with RemoteLock(conn) as lock``: installs into the account are serialised.

    ``lock.kind`` says what was obtained: ``flock``, ``dir`` (the fallback lock directory),
    ``busy`` (another holder kept it past :data:`LOCK_WAIT`), ``none`` (no shell, or ``~/.ssh``
    cannot be written). Without a lock the append is still safe from losing lines; only two
    installs of the same key at the same instant could both add it. ``lock.made_ssh_dir`` is
    True when the lock created ``~/.ssh`` (0700) to lock it.
    """

    def __init__(self, conn: Any, wait: float = LOCK_WAIT) -> None:
        self.conn = conn
        self.wait = wait
        self.kind = "none"
        self.made_ssh_dir = False
        self._process: Any = None

    async def __aenter__(self) -> RemoteLock:
        import asyncssh

        script = _LOCK.replace("{wait}", str(int(self.wait))).replace(
            "{tries}", str(int(self.wait * 10))
        )
        try:
            self._process = await self.conn.create_process(
                "exec sh -c " + shlex.quote(script), encoding=None
            )
        except (asyncssh.Error, OSError):  # no shell for this account (sftp only)
            return self
        with contextlib.suppress(TimeoutError, asyncssh.Error, OSError):
            # the script says it runs at once (a forced command that is not a shell never
            # does), then waits up to self.wait for the lock
            if await asyncio.wait_for(self._read_marker(b"sshdeck-lock-start"), 20):
                await asyncio.wait_for(self._read_marker(b"sshdeck-lock"), self.wait + 15)
        if self.kind not in ("flock", "dir"):
            await self._release()
        return self

    async def _read_marker(self, marker: bytes) -> bool:
        """Skip to the line that starts with ``marker`` (a login shell's rc files may print
        first); False at the end of the output."""
        while True:
            line: bytes = await self._process.stdout.readline()
            if not line:
                return False
            words = line.split()
            if words[:1] != [marker]:
                continue
            if len(words) > 1:
                self.kind = words[1].decode("ascii", "replace")
                self.made_ssh_dir = b"made" in words[2:]
            return True

    async def _release(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(Exception):
            process.stdin.write_eof()
            await asyncio.wait_for(process.wait_closed(), 10)
        with contextlib.suppress(Exception):
            process.close()

    async def __aexit__(self, *exc: object) -> None:
        await self._release()

    @property
    def held(self) -> bool:
        return self.kind in ("flock", "dir") and self._process is not None


# --------------------------------------------------------------------------- SFTP


class SftpFiles:
    """Over an asyncssh SFTP client whose working directory is the home directory."""

    def __init__(self, sftp: Any) -> None:
        self.sftp = sftp

    async def locate(self) -> str:
        """The file to change: a symlinked authorized_keys keeps its link."""
        import asyncssh

        with contextlib.suppress(asyncssh.SFTPNoSuchFile):
            if stat.S_ISLNK((await self.sftp.lstat(AUTHORIZED_KEYS)).permissions or 0):
                return str(await self.sftp.realpath(AUTHORIZED_KEYS))
        return AUTHORIZED_KEYS

    async def read(self, path: str) -> Existing | None:
        import asyncssh

        try:
            attrs = await self.sftp.stat(path)
            async with self.sftp.open(path, "rb") as handle:
                content = await handle.read()
        except asyncssh.SFTPNoSuchFile:
            return None
        mode = (attrs.permissions or 0o600) & 0o7777
        return Existing(content, mode, (len(content), attrs.mtime or 0))

    async def has_ssh_dir(self) -> bool:
        return bool(await self.sftp.exists(SSH_DIR))

    async def append(self, path: str, chunks: list[bytes], old: Existing | None) -> bool:
        """Append ``chunks``, one write each, to the file as read in ``old`` (None: create it,
        0600). False, nothing written, when the file's size changed since it was read."""
        import asyncssh
        from asyncssh.constants import FXF_APPEND, FXF_CREAT, FXF_EXCL, FXF_WRITE

        if old is None:
            if not await self.has_ssh_dir():
                try:
                    await self.sftp.mkdir(SSH_DIR, asyncssh.SFTPAttrs(permissions=0o700))
                    await self.sftp.chmod(SSH_DIR, 0o700)
                except asyncssh.SFTPFailure:
                    if not await self.has_ssh_dir():  # not made by another install meanwhile
                        raise
            flags = FXF_WRITE | FXF_APPEND | FXF_CREAT | FXF_EXCL
            size = 0
        else:
            try:
                size = (await self.sftp.stat(path)).size or 0
            except asyncssh.SFTPNoSuchFile:
                return False
            if size != old.stamp[0]:
                return False
            flags = FXF_WRITE | FXF_APPEND
        try:
            attrs = asyncssh.SFTPAttrs(permissions=0o600)
            handle = await self.sftp.open(path, flags, attrs, encoding=None)
        except (asyncssh.SFTPFileAlreadyExists, asyncssh.SFTPNoSuchFile):
            return False  # created, or removed, by someone else since it was read
        except asyncssh.SFTPFailure:
            if old is None and await self.sftp.exists(path):  # EEXIST on a v3 server
                return False
            raise
        async with handle:
            for chunk in chunks:
                # O_APPEND puts each write at the end of the file as it is then; the offset is
                # the end as read, for a server that would not honour the append flag
                for start in range(0, len(chunk), _WRITE_LIMIT):
                    piece = chunk[start : start + _WRITE_LIMIT]
                    await handle.write(piece, size)
                    size += len(piece)
        return True


# --------------------------------------------------------------------------- sh, as ssh-copy-id

_READ = """f=.ssh/authorized_keys
if [ -f "$f" ]; then
  m=$(stat -L -c %a "$f" 2>/dev/null || stat -L -f %Lp "$f") || exit 4
  echo "F $m"; exec cat "$f"
fi
if [ -L "$f" ]; then echo L; exit 0; fi
if [ -d .ssh ]; then echo D; else echo N; fi
"""

# the lines arrive on stdin into a temporary file first, so that one ``cat >>`` writes them
# whole (a pipe may deliver them in pieces); the size check refuses a file that changed
_APPEND = """set -e
umask 077
f=.ssh/authorized_keys
[ -d .ssh ] || mkdir .ssh 2>/dev/null || [ -d .ssh ]
n=-1
if [ -f "$f" ]; then n=$(wc -c < "$f"); elif [ -e "$f" ] || [ -L "$f" ]; then exit 3; fi
[ $((n)) -eq {size} ] || exit 3
t=$(mktemp .ssh/.sshdeck-add-XXXXXX)
trap 'rm -f "$t"' EXIT
cat > "$t"
cat "$t" >> "$f"
"""


class ShellFiles:
    """Through ``sh`` on the host, for servers without the sftp subsystem (as ssh-copy-id)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._has_dir = False

    async def _run(self, script: str, data: bytes = b"") -> Any:
        # the login shell may be csh or fish: hand the script to sh as one quoted word
        return await self.conn.run(
            "exec sh -c " + shlex.quote(script), input=data, encoding=None, check=False
        )

    async def locate(self) -> str:
        return AUTHORIZED_KEYS

    async def read(self, path: str) -> Existing | None:
        result = await self._run(_READ)
        output: bytes = result.stdout or b""
        head, _, content = output.partition(b"\n")
        kind = head.split()[:1]
        if result.exit_status != 0 or kind not in ([b"F"], [b"D"], [b"N"], [b"L"]):
            raise RemoteFileError(
                "The host has no SFTP and its shell could not read ~/.ssh/authorized_keys; "
                "add the key by hand."
            )
        if kind == [b"L"]:
            raise RemoteFileError(
                "~/.ssh/authorized_keys is a symbolic link to nothing and the host has no SFTP "
                "to follow it safely; add the key by hand."
            )
        self._has_dir = kind != [b"N"]
        if kind != [b"F"]:
            return None
        mode = int(head.split()[1], 8) & 0o7777
        return Existing(content, mode, (len(content), 0))

    async def has_ssh_dir(self) -> bool:
        return self._has_dir

    async def append(self, path: str, chunks: list[bytes], old: Existing | None) -> bool:
        size = len(old.content) if old is not None else -1
        result = await self._run(_APPEND.replace("{size}", str(int(size))), b"".join(chunks))
        if result.exit_status == 3:
            return False
        if result.exit_status != 0:
            from tui.core.text import decode

            lines = (result.stderr or b"").strip().splitlines()
            detail = f" ({decode(lines[-1][:120])})" if lines else ""  # shown through visible()
            raise RemoteFileError(
                f"The host refused to write ~/.ssh/authorized_keys{detail}; the user must own "
                "~/.ssh and be able to write in it there."
            )
        return True
