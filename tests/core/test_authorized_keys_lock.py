"""The lock the installer holds on a host while it checks and appends (a real sshd and user).

``flock`` on ``~/.ssh`` where the host has it; else a lock directory with its holder's pid,
which a later install takes over when that holder is gone. Either way the lock dies with the
session that holds it, and a lock held too long by someone else gives way (``busy``) rather
than failing the install.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.fixtures.hosts import CopyHost
from tui.core.connect.client import open_connection
from tui.core.upload.remote_files import RemoteLock


async def test_flock_on_the_ssh_dir_serialises_and_leaves_no_file(copy_host: CopyHost) -> None:
    assert not copy_host.ssh_dir.exists()
    async with await open_connection(copy_host.options()) as first_conn:
        async with RemoteLock(first_conn) as first:
            assert (first.kind, first.made_ssh_dir) == ("flock", True)
            assert oct(copy_host.ssh_dir.stat().st_mode & 0o777) == "0o700"
            other = await open_connection(copy_host.options())
            async with other, RemoteLock(other, wait=1) as second:
                assert (second.kind, second.held) == ("busy", False)
        assert not first.held
        async with RemoteLock(first_conn, wait=1) as third:  # released: free again
            assert (third.kind, third.made_ssh_dir) == ("flock", False)
    assert list(copy_host.ssh_dir.iterdir()) == []


async def test_without_flock_a_lock_directory_is_used_and_a_dead_holders_is_taken_over(
    copy_host_factory, path_without_flock: str
) -> None:
    host = copy_host_factory(extra_config=path_without_flock)
    host.write_authorized(b"# kept\n")
    lock_dir = host.ssh_dir / ".sshdeck-lock"
    async with await open_connection(host.options()) as conn:
        async with RemoteLock(conn) as first:
            assert first.kind == "dir"
            assert lock_dir.is_dir()
            async with RemoteLock(conn, wait=1) as second:
                assert second.kind == "busy"
        assert not lock_dir.exists()

        # a holder killed with -9 leaves its directory and pid behind
        gone = subprocess.Popen(["true"])
        gone.wait()
        lock_dir.mkdir()
        (lock_dir / "pid").write_text(f"{gone.pid}\n")
        os.chown(lock_dir, host.user.uid, host.user.gid)
        async with RemoteLock(conn, wait=5) as taken:
            assert taken.kind == "dir"
            assert (lock_dir / "pid").read_text().strip() != str(gone.pid)
    assert sorted(p.name for p in host.ssh_dir.iterdir()) == ["authorized_keys"]
    assert (host.ssh_dir / "authorized_keys").read_bytes() == b"# kept\n"


async def test_an_account_without_a_shell_gets_no_lock_and_no_error(
    copy_host_factory, tmp_path: Path
) -> None:
    host = copy_host_factory(extra_config="ForceCommand internal-sftp")
    conn = await open_connection(host.options())
    async with conn, RemoteLock(conn, wait=1) as lock:
        assert (lock.kind, lock.held) == ("none", False)


async def test_a_lock_whose_client_vanished_is_free_again(
    copy_host_factory, path_without_flock: str
) -> None:
    """A client killed while it holds the lock (its TCP connection simply ends) does not keep
    the next install waiting: the holding session ends with it, flock or lock directory."""
    for host in (copy_host_factory(), copy_host_factory(extra_config=path_without_flock)):
        host.write_authorized(b"# kept\n")
        conn = await open_connection(host.options())
        lock = RemoteLock(conn)
        await lock.__aenter__()
        assert lock.kind in ("flock", "dir")
        conn.abort()  # no release: as if the process got SIGKILL
        other = await open_connection(host.options())
        async with other, RemoteLock(other, wait=10) as next_lock:
            assert next_lock.kind == lock.kind
        assert sorted(p.name for p in host.ssh_dir.iterdir()) == ["authorized_keys"]
