"""The two ways the installer reads and replaces ``~/.ssh/authorized_keys`` on a host.

SFTP first: no remote shell, so nothing can be misquoted and any login shell works. Hosts that
disable the sftp subsystem get what ssh-copy-id does, a POSIX ``sh`` script, with two rules that
keep it safe: the script text is constant (the only number put in it is the file mode, an int),
and the file content travels on stdin. Both replace the file atomically: a temporary file in
``~/.ssh``, the same mode, then a rename over the old one, which is refused (and the caller
merges again) when the file changed since it was read.
"""

from __future__ import annotations

import contextlib
import posixpath
import secrets
import shlex
import stat
from dataclasses import dataclass
from typing import Any

from tui.core.errors import SshDeckError

SSH_DIR = ".ssh"
AUTHORIZED_KEYS = ".ssh/authorized_keys"


class RemoteFileError(SshDeckError):
    """The host would not let the file be read or replaced."""

    code = "install-failed"


@dataclass(frozen=True)
class Existing:
    """The file as read: content, permission bits, and what tells a later change (size...)."""

    content: bytes
    mode: int
    stamp: tuple[int, int]  # (size, mtime); mtime 0 when the shell cannot tell


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
        return Existing(content, mode, (attrs.size or 0, attrs.mtime or 0))

    async def has_ssh_dir(self) -> bool:
        return bool(await self.sftp.exists(SSH_DIR))

    async def replace(self, path: str, content: bytes, mode: int, old: Existing | None) -> bool:
        """False (nothing written) when the file changed since ``old`` was read."""
        import asyncssh

        if old is None and not await self.has_ssh_dir():
            await self.sftp.mkdir(SSH_DIR, asyncssh.SFTPAttrs(permissions=0o700))
            await self.sftp.chmod(SSH_DIR, 0o700)
        if old is not None:
            now = await self.sftp.stat(path)
            if (now.size or 0, now.mtime or 0) != old.stamp:
                return False
        elif await self.sftp.exists(path):
            return False
        temp = posixpath.join(
            posixpath.dirname(path), f".authorized_keys.sshdeck-{secrets.token_hex(6)}"
        )
        try:
            async with self.sftp.open(temp, "wb", asyncssh.SFTPAttrs(permissions=0o600)) as f:
                await f.write(content)
            await self.sftp.chmod(temp, mode)
            try:
                await self.sftp.posix_rename(temp, path)
            except asyncssh.SFTPOpUnsupported:
                if await self.sftp.exists(path):  # plain SFTP rename will not replace a file
                    raise RemoteFileError(
                        "The host's SFTP server cannot replace files atomically; add the key "
                        "by hand."
                    ) from None
                await self.sftp.rename(temp, path)
        except BaseException:
            with contextlib.suppress(asyncssh.Error, OSError):
                await self.sftp.remove(temp)  # never leave a half-written copy behind
            raise
        return True


_READ = """f=.ssh/authorized_keys
if [ -L "$f" ]; then echo L; exit 0; fi
if [ -f "$f" ]; then
  m=$(stat -c %a "$f" 2>/dev/null || stat -f %Lp "$f") || exit 4
  echo "F $m"; exec cat "$f"
fi
if [ -d .ssh ]; then echo D; else echo N; fi
"""

_WRITE = """set -e
umask 077
f=.ssh/authorized_keys
[ -d .ssh ] || mkdir .ssh
if [ -f "$f" ]; then n=$(wc -c < "$f"); [ $((n)) -eq {size} ] || exit 3
elif [ {size} -ge 0 ]; then exit 3; fi
t=$(mktemp .ssh/.authorized_keys.sshdeck-XXXXXX)
trap 'rm -f "$t"' EXIT
cat > "$t"
chmod {mode:o} "$t"
mv -f "$t" "$f"
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
                "~/.ssh/authorized_keys is a symbolic link and the host has no SFTP to follow "
                "it safely; add the key by hand."
            )
        self._has_dir = kind != [b"N"]
        if kind != [b"F"]:
            return None
        mode = int(head.split()[1], 8) & 0o7777
        return Existing(content, mode, (len(content), 0))

    async def has_ssh_dir(self) -> bool:
        return self._has_dir

    async def replace(self, path: str, content: bytes, mode: int, old: Existing | None) -> bool:
        size = len(old.content) if old is not None else -1
        result = await self._run(_WRITE.format(size=size, mode=mode), content)
        if result.exit_status == 3:
            return False
        if result.exit_status != 0:
            reason = (result.stderr or b"").decode(errors="replace").strip().splitlines()
            detail = f" ({reason[-1][:120]})" if reason else ""
            raise RemoteFileError(
                f"The host refused to write ~/.ssh/authorized_keys{detail}; the user must own "
                "~/.ssh and be able to write in it there."
            )
        return True
