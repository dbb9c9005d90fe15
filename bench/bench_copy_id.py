"""Install one key on 50 loopback targets: ``sshdeck copy-id --parallel`` vs a loop of ssh-copy-id.

One sshd on 127.0.0.1 and 50 throwaway users (removed at the end, whatever happens). Both tools
log in with the same bootstrap key (listed in a root-owned AuthorizedKeysFile, so that it is not
in the file being changed) and install a new key in each user's ~/.ssh/authorized_keys, which
is removed between the two runs. Both check the server's host key against the same known_hosts
file. sshdeck also verifies each installed key by logging in with it; ssh-copy-id does not, so
sshdeck makes twice as many logins.

Run as root: ``python -m bench.bench_copy_id [--users 50] [--parallel 32]``. Not part of the
test suite.

``--race N [--rounds R]`` measures something else: N processes at once, each installing its own
new key into the *same* account, R rounds (sshdeck, then ssh-copy-id), and counts the lines
lost (keys not in authorized_keys at the end) and the keys present more than once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.common import report, sshdeck_command


@dataclass
class Fleet:
    base: Path
    port: int
    users: list[str]
    login: Path  # private key every account already trusts
    new: Path  # private key whose .pub gets installed
    known_hosts: Path
    hosts_file: Path
    env: dict[str, str]  # a throwaway HOME for both clients, never the real ~/.ssh

    def reset(self) -> None:
        for user in self.users:
            shutil.rmtree(self.base / user / ".ssh", ignore_errors=True)

    def count_installed(self) -> int:
        blob = (self.base / "new.pub").read_text().split()[1]
        files = (self.base / user / ".ssh" / "authorized_keys" for user in self.users)
        return sum(blob in path.read_text() for path in files if path.exists())


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fleet(count: int) -> Iterator[Fleet]:
    """One sshd and ``count`` users whose homes live under a fresh directory in /home."""
    base = Path(tempfile.mkdtemp(prefix="sshdeck-bench-", dir="/home"))
    os.chmod(base, 0o755)
    prefix = "sdb" + secrets.token_hex(3)
    users = [f"{prefix}{i:02d}" for i in range(count)]
    created: list[str] = []
    process: subprocess.Popen[bytes] | None = None
    try:
        login, new, host_key = base / "login", base / "new", base / "host"
        for path in (login, new, host_key):
            _keygen(path)
        auth = base / "auth"
        auth.mkdir(mode=0o755)
        for user in users:
            home = base / user
            subprocess.run(
                ["useradd", "-M", "-d", str(home), "-s", "/bin/sh", "-p", "*", user],
                check=True,
                capture_output=True,
            )
            created.append(user)
            home.mkdir(mode=0o755)
            shutil.chown(home, user, user)
            (auth / user).write_text((base / "login.pub").read_text())
            os.chmod(auth / user, 0o644)
        port = _free_port()
        config = base / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1:{port}\nHostKey {host_key}\nPidFile none\nUsePAM no\n"
            f"AuthorizedKeysFile .ssh/authorized_keys {auth}/%u\nPasswordAuthentication no\n"
            "MaxStartups 200\nSubsystem sftp internal-sftp\n"
        )
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        process = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", str(config), "-E", str(base / "log")]
        )
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        known = base / "known_hosts"
        kind, blob = (base / "host.pub").read_text().split()[:2]
        known.write_text(f"[127.0.0.1]:{port} {kind} {blob}\n")
        hosts = base / "hosts"
        hosts.write_text("".join(f"{user}@127.0.0.1:{port}\n" for user in users))
        client_home = base / "client"
        (client_home / ".ssh").mkdir(parents=True, mode=0o700)
        env = {**os.environ, "HOME": str(client_home)}
        env.pop("SSH_AUTH_SOCK", None)
        yield Fleet(base, port, users, login, new, known, hosts, env)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        for user in created:
            subprocess.run(["userdel", user], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def run_sshdeck(f: Fleet, parallel: int) -> float:
    argv = [
        *sshdeck_command(), "copy-id", "-i", f"{f.new}.pub", "--identity", str(f.login),
        "-o", f"UserKnownHostsFile={f.known_hosts}", "--parallel", str(parallel), "--json",
        "--hosts-file", str(f.hosts_file),
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=f.env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"sshdeck copy-id failed: {done.stderr[-2000:]}")
    hosts = json.loads(done.stdout)["hosts"]
    assert all(h["result"] == "installed" and h["verified"] for h in hosts), hosts
    return elapsed


def run_ssh_copy_id(f: Fleet) -> float:
    loop = " && ".join(
        f"ssh-copy-id -f -i {f.new}.pub -o IdentityFile={f.login} -o IdentitiesOnly=yes "
        f"-o UserKnownHostsFile={f.known_hosts} -o StrictHostKeyChecking=yes -p {f.port} "
        f"{user}@127.0.0.1"
        for user in f.users
    )
    start = time.perf_counter()
    done = subprocess.run(loop, shell=True, capture_output=True, text=True, env=f.env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"ssh-copy-id failed: {done.stderr[-2000:]}")
    return elapsed


def race(f: Fleet, processes: int, rounds: int, tool: str) -> tuple[int, int, int, float]:
    """(keys, lines lost, keys doubled, seconds): ``processes`` installs at once into one
    account, ``rounds`` times, each with its own new key."""
    user = f.users[0]
    keys_dir = f.base / f"race-{tool}"
    keys_dir.mkdir()
    blobs: list[str] = []
    start = time.perf_counter()
    for round_number in range(rounds):
        argvs = []
        for number in range(processes):
            key = keys_dir / f"r{round_number}k{number}"
            _keygen(key)
            blobs.append((keys_dir / f"{key.name}.pub").read_text().split()[1])
            if tool == "sshdeck":
                argvs.append(
                    [*sshdeck_command(), "copy-id", "-i", f"{key}.pub", "--identity",
                     str(f.login), "-o", f"UserKnownHostsFile={f.known_hosts}", "--json",
                     f"{user}@127.0.0.1:{f.port}"]
                )  # fmt: skip
            else:
                argvs.append(
                    ["ssh-copy-id", "-f", "-i", f"{key}.pub", "-o", f"IdentityFile={f.login}",
                     "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={f.known_hosts}",
                     "-o", "StrictHostKeyChecking=yes", "-p", str(f.port), f"{user}@127.0.0.1"]
                )  # fmt: skip
        running = [
            subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=f.env)
            for a in argvs
        ]
        for process in running:
            process.wait()
    elapsed = time.perf_counter() - start
    path = f.base / user / ".ssh" / "authorized_keys"
    fields = [line.split() for line in path.read_text().splitlines()] if path.exists() else []
    present = [words[1] for words in fields if len(words) > 1]
    lost = sum(present.count(blob) == 0 for blob in blobs)
    doubled = sum(present.count(blob) > 1 for blob in blobs)
    return len(blobs), lost, doubled, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=32)
    parser.add_argument("--race", type=int, metavar="N", help="N installs at once, one account")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.race:
        with fleet(1) as f:
            for tool in ("sshdeck", "ssh-copy-id"):
                keys, lost, doubled, elapsed = race(f, args.race, args.rounds, tool)
                print(
                    f"{tool}: {args.race} processes x {args.rounds} rounds into one account: "
                    f"{lost} of {keys} lines lost, {doubled} keys twice, {elapsed:.1f} s"
                )
                f.reset()
        return
    with fleet(args.users) as f:
        ours = run_sshdeck(f, args.parallel)
        assert f.count_installed() == len(f.users), "sshdeck did not install on every target"
        f.reset()
        theirs = run_ssh_copy_id(f)
        assert f.count_installed() == len(f.users), "ssh-copy-id did not install on every target"
        print(
            f"per target: sshdeck {ours / len(f.users) * 1000:.1f} ms (2 logins each), "
            f"ssh-copy-id {theirs / len(f.users) * 1000:.1f} ms"
        )
        report(f"copy-id on {len(f.users)} targets", ours, theirs, "target >= 10x")


if __name__ == "__main__":
    main()
