"""Install one key on 50 loopback targets: ``sshdeck copy-id --parallel`` vs a loop of ssh-copy-id.

One sshd on 127.0.0.1 and 50 throwaway users (removed at the end, whatever happens). Both tools
log in with the same bootstrap key (listed in a root-owned AuthorizedKeysFile) and install a new
key in each user's ~/.ssh/authorized_keys, which is removed between the two runs. sshdeck also
verifies each installed key by logging in with it; ssh-copy-id does not.

Run as root: ``python -m bench.bench_copy_id [--users 50] [--parallel 16]``. Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import report, sshdeck_command, time_command


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--parallel", type=int, default=16)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="sshdeck-bench-", dir="/home"))
    os.chmod(base, 0o755)
    prefix = "sdb" + secrets.token_hex(3)
    users = [f"{prefix}{i:02d}" for i in range(args.users)]
    created: list[str] = []
    process: subprocess.Popen[bytes] | None = None
    try:
        login, new = base / "login", base / "new"
        _keygen(login)
        _keygen(new)
        auth = base / "auth"
        auth.mkdir(mode=0o755)
        for user in users:
            home = base / user
            subprocess.run(
                ["useradd", "-M", "-d", str(home), "-s", "/bin/sh", "-p", "*", user], check=True
            )
            created.append(user)
            home.mkdir(mode=0o755)
            shutil.chown(home, user, user)
            (auth / user).write_text((base / "login.pub").read_text())
            os.chmod(auth / user, 0o644)
        host_key = base / "host"
        _keygen(host_key)
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

        def reset() -> None:
            for user in users:
                shutil.rmtree(base / user / ".ssh", ignore_errors=True)

        def count_installed() -> int:
            line = (base / "new.pub").read_text().split()[1]
            return sum(
                line in p.read_text()
                for p in (base / u / ".ssh" / "authorized_keys" for u in users)
                if p.exists()
            )

        client_home = base / "client"  # both clients get a throwaway ~/.ssh, never the real one
        (client_home / ".ssh").mkdir(parents=True, mode=0o700)
        env = {**os.environ, "HOME": str(client_home)}
        env.pop("SSH_AUTH_SOCK", None)
        ours = time_command(
            [*sshdeck_command(), "copy-id", "-i", str(new) + ".pub", "--identity", str(login),
             "-o", f"UserKnownHostsFile={known}", "--parallel", str(args.parallel),
             "--hosts-file", str(hosts)],
            env=env,
        )  # fmt: skip
        assert count_installed() == len(users), "sshdeck did not install on every target"
        reset()
        loop = " && ".join(
            f"ssh-copy-id -f -i {new}.pub -o IdentityFile={login} -o IdentitiesOnly=yes "
            f"-o UserKnownHostsFile={known} -o StrictHostKeyChecking=yes -p {port} "
            f"{user}@127.0.0.1"
            for user in users
        )
        start = time.perf_counter()
        done = subprocess.run(loop, shell=True, capture_output=True, text=True, env=env)
        theirs = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"ssh-copy-id failed: {done.stderr[-2000:]}")
        assert count_installed() == len(users), "ssh-copy-id did not install on every target"
        report(f"copy-id on {len(users)} targets", ours, theirs, "target >= 10x")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        for user in created:
            subprocess.run(["userdel", user], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
