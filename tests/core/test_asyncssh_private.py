"""What sshdeck relies on inside asyncssh, pinned: an upgrade that moves any of it fails here,
loudly, instead of quietly weakening the tester's diagnoses (``tui.core.connect.asyncssh_private``
is the one place these names are used)."""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

import asyncssh
import asyncssh.agent
import asyncssh.config
import asyncssh.connection
import asyncssh.kex
import asyncssh.mac
import asyncssh.packet
import asyncssh.public_key

from tests.conftest import ssh_keygen
from tests.fixtures.sshd import SshdServer, TestUser
from tui.core.connect import asyncssh_private as private
from tui.core.connect.client import ConnectOptions, Target, open_connection
from tui.core.connect.ssh_config import _config_class


def test_the_config_parser_has_the_table_setters_and_load_we_use() -> None:
    base = asyncssh.config.SSHClientConfig
    assert isinstance(base._handlers, dict)
    for key in ("user", "port", "identityfile", "identitiesonly", "proxyjump", "hostname"):
        name, setter = base._handlers[key]
        assert isinstance(name, str) and callable(setter)
    for method in ("_set_bool", "_set_string"):
        assert callable(getattr(asyncssh.config.SSHConfig, method))
    wanted = ["last_config", "config_paths", "reload", "canonical", "final", "args"]
    assert list(inspect.signature(base.load).parameters) == wanted


def test_our_config_class_adds_options_without_changing_asyncssh(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "Host h\n  StrictHostKeyChecking accept-new\n  HashKnownHosts yes\n  User u\n"
        "  PubkeyAcceptedKeyTypes ssh-ed25519\n"
    )
    loaded = private.load_client_config(_config_class(), [config], "me", None, "h", None)
    assert loaded.get("StrictHostKeyChecking") == "accept-new"
    assert loaded.get("HashKnownHosts") is True and loaded.get("User") == "u"
    assert loaded.get("PubkeyAcceptedAlgorithms") == "ssh-ed25519"
    assert "stricthostkeychecking" not in asyncssh.config.SSHClientConfig._handlers
    assert "hashknownhosts" not in private.config_option_names()


def test_key_pair_constructor_and_algorithm_lists_are_where_we_read_them() -> None:
    parameters = list(inspect.signature(asyncssh.SSHKeyPair.__init__).parameters)[1:]
    assert tuple(parameters[: len(private.KEY_PAIR_PARAMETERS)]) == private.KEY_PAIR_PARAMETERS
    assert isinstance(asyncssh.SSHKeyPair._key_type, str)
    for method in ("set_sig_algorithm", "get_key_type"):
        assert callable(getattr(asyncssh.SSHKeyPair, method))
    # a key pair's own sign_async is what asyncssh awaits to sign (the agent's pairs have one)
    assert "getattr(key, 'sign_async', None)" in inspect.getsource(asyncssh.connection)
    assert callable(asyncssh.agent.SSHAgentKeyPair.sign_async)
    assert b"curve25519-sha256" in asyncssh.kex.get_kex_algs()
    assert b"hmac-sha2-256" in asyncssh.mac.get_mac_algs()
    assert b"ssh-ed25519" in asyncssh.public_key.get_default_public_key_algs()
    packet = asyncssh.packet.SSHPacket(b"\x14" + bytes(16) + b"\x00\x00\x00\x01a")
    assert packet.get_byte() == 20 and len(packet.get_bytes(16)) == 16
    assert packet.get_namelist() == [b"a"]


def test_a_real_connection_has_what_we_read(
    sshd: SshdServer, test_user: TestUser, ssh_dir: Path
) -> None:
    key = ssh_dir / "id_ed25519"
    assert ssh_keygen("-q", "-t", "ed25519", "-N", "", "-f", str(key)).returncode == 0
    test_user.authorize(key.with_suffix(".pub").read_text())
    (ssh_dir / "known_hosts").write_text(sshd.known_hosts_line() + "\n")

    async def look() -> None:
        options = ConnectOptions(
            target=Target(test_user.name, "127.0.0.1", sshd.port), identities=(key,)
        )
        conn = await open_connection(options, lambda event: None)
        async with conn:
            for attribute in private.CONNECTION_ATTRIBUTES:
                assert hasattr(conn, attribute), f"asyncssh lost {attribute}"
            kexinit = private.server_kexinit(conn)
            assert kexinit is not None and kexinit[0] == 20  # MSG_KEXINIT as received
            lists = private.client_algorithm_lists(conn)
            assert all(lists[kind] for kind in ("kex", "hostkey", "cipher", "mac"))
            assert b"ssh-ed25519" in private.server_sig_algs(conn)  # OpenSSH sends EXT_INFO
            assert private.log_context(conn) is not None
            assert callable(conn.set_tunnel)

    asyncio.run(look())


IMPORT_FACTS = """
import sys, ctypes.util
original = ctypes.util.find_library
if sys.argv[1] == "fast":
    from tui.core.connect.asyncssh_private import import_asyncssh
    import_asyncssh()
import asyncssh.crypto.pq as pq, asyncssh.crypto.umac as umac
from asyncssh.kex import get_kex_algs
from asyncssh.mac import get_mac_algs
assert ctypes.util.find_library is original
print(pq.mlkem_available, pq.sntrup_available, pq._oqs_lib, umac._nettle_lib,
      b",".join(get_kex_algs()), b",".join(get_mac_algs()))
"""


def test_the_quick_import_of_asyncssh_finds_the_same_libraries_and_algorithms() -> None:
    """import_asyncssh skips running ldconfig/gcc/ld for absent C libraries: asyncssh must end
    up with exactly the algorithms a plain import gives (a fresh interpreter each)."""
    import subprocess
    import sys

    facts = [
        subprocess.run(
            [sys.executable, "-c", IMPORT_FACTS, how], capture_output=True, text=True, timeout=60
        )
        for how in ("plain", "fast")
    ]
    for done in facts:
        assert done.returncode == 0, done.stderr
    assert facts[0].stdout == facts[1].stdout and facts[0].stdout.strip()


def test_a_library_is_called_absent_only_when_ctypes_finds_none() -> None:
    import ctypes.util

    for name in ("c", "ssl", "crypto", "z", "nettle", "oqs", "sshdeck-no-such-library"):
        if private._absent_library(name):
            assert ctypes.util.find_library(name) is None, name
    assert not private._absent_library("c")
    assert private._absent_library("sshdeck-no-such-library")
