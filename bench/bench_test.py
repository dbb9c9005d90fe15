"""Wall time of ``sshdeck test HOST --json`` vs ``ssh -o BatchMode=yes HOST true`` on loopback.

Starts its own sshd (tests/fixtures/sshd.py) and a throwaway user; prints the ratio (target 1.5x).
Run as root: ``python bench/bench_test.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.sshd import _start_sshd  # noqa: E402

ROUNDS = 7


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {result.stderr}")
    return elapsed


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="sshdeck-bench-"))
    server = _start_sshd(base)
    name = "sdkbench" + str(os.getpid())
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
    try:
        home = base / "home"
        ssh = home / ".ssh"
        ssh.mkdir(parents=True, mode=0o700)
        key = ssh / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        user_ssh = Path(f"/home/{name}/.ssh")
        user_ssh.mkdir(mode=0o700)
        (user_ssh / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
        subprocess.run(["chown", "-R", f"{name}:{name}", str(user_ssh)], check=True)
        (ssh / "known_hosts").write_text(server.known_hosts_line() + "\n")
        env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"} | {"HOME": str(home)}
        target = f"{name}@127.0.0.1"
        port = str(server.port)
        ours = [sys.executable, "-m", "tui", "test", target, "-p", port, "-i", str(key), "--json"]
        theirs = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                  f"UserKnownHostsFile={ssh / 'known_hosts'}", "-i", str(key), "-p", port,
                  target, "true"]  # fmt: skip
        sshdeck = statistics.median(timed(ours, env) for _ in range(ROUNDS))
        openssh = statistics.median(timed(theirs, env) for _ in range(ROUNDS))
        print(f"sshdeck test --json: {sshdeck * 1000:.0f} ms (median of {ROUNDS})")
        print(f"ssh BatchMode true:  {openssh * 1000:.0f} ms")
        print(f"ratio: {sshdeck / openssh:.2f}x (target <= 1.5x)")
    finally:
        server.stop()
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


if __name__ == "__main__":
    main()
