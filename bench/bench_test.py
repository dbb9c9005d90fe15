"""``sshdeck test`` against ``ssh`` on the same loopback sshd, in one run.

1. Wall time of ``sshdeck test HOST --json`` vs ``ssh -o BatchMode=yes HOST true`` (whole
   processes, median of ROUNDS; target: sshdeck within 1.5x of ssh).
2. In-process time to "authenticated": ``run_probe`` from its start to the end of the
   authentication stage, vs ``ssh -v`` from its start to its ``Authenticated to`` line.

Starts its own sshd (tests/fixtures/sshd.py) and a throwaway user; prints the figures and
ratios. Run as root: ``.venv/bin/python bench/bench_test.py``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import sshdeck_command  # noqa: E402
from tests.fixtures.sshd import _start_sshd  # noqa: E402

ROUNDS = 9


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {result.stderr}")
    return elapsed


def ssh_time_to_authenticated(args: list[str], env: dict[str, str]) -> float:
    """From starting ``ssh -v`` to the moment it prints ``Authenticated to``."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert process.stderr is not None
    elapsed = float("nan")
    for raw in process.stderr:
        if raw.startswith(b"Authenticated to"):
            elapsed = time.perf_counter() - start
    process.wait(timeout=60)
    return elapsed


async def probe_time_to_authenticated(target: str, port: int, key: Path) -> float:
    from tui.core.connect.client import ConnectOptions, parse_target
    from tui.core.connect.probe import ProbeOptions, run_probe
    from tui.core.connect.trace import StageEvent

    marks: list[float] = []

    def sink(event: object) -> None:
        if isinstance(event, StageEvent) and event.name == "authentication" and event.ok:
            marks.append(time.perf_counter())

    options = ConnectOptions(target=parse_target(target), port=port, identities=(key,))
    start = time.perf_counter()
    result = await run_probe(ProbeOptions(connect=options), sink)
    if not result.ok or not marks:
        raise SystemExit(f"probe failed: {result.diagnosis}")
    return marks[0] - start


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
        ours = [*sshdeck_command(), "test", target, "-p", port, "-i", str(key), "--json"]
        theirs = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                  f"UserKnownHostsFile={ssh / 'known_hosts'}", "-i", str(key), "-p", port,
                  target, "true"]  # fmt: skip
        timed(ours, env), timed(theirs, env)  # warm caches
        sshdeck = statistics.median(timed(ours, env) for _ in range(ROUNDS))
        openssh = statistics.median(timed(theirs, env) for _ in range(ROUNDS))
        print(f"wall, sshdeck test --json:       {sshdeck * 1000:7.1f} ms (median of {ROUNDS})")
        print(f"wall, ssh -o BatchMode=yes true: {openssh * 1000:7.1f} ms")
        print(f"wall ratio sshdeck/ssh: {sshdeck / openssh:.2f}x (target <= 1.5x)")

        os.environ["HOME"] = str(home)
        os.environ.pop("SSH_AUTH_SOCK", None)
        verbose = [theirs[0], "-v", *theirs[1:]]
        in_process = [
            asyncio.run(probe_time_to_authenticated(target, server.port, key))
            for _ in range(ROUNDS)
        ]
        ssh_auth = [ssh_time_to_authenticated(verbose, env) for _ in range(ROUNDS)]
        ours_auth, theirs_auth = statistics.median(in_process), statistics.median(ssh_auth)
        print(f"to authenticated, run_probe in-process: {ours_auth * 1000:7.1f} ms")
        print(f"to authenticated, ssh -v (process):     {theirs_auth * 1000:7.1f} ms")
        print(f"authenticated ratio sshdeck/ssh: {ours_auth / theirs_auth:.2f}x")
    finally:
        server.stop()
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


if __name__ == "__main__":
    main()
