"""``sshdeck test`` against ``ssh`` on the same loopback sshd, in one run (issue 10, section 5).

1. Wall time of ``sshdeck test HOST --json`` vs ``ssh -o BatchMode=yes HOST true`` (whole
   processes, rounds interleaved, medians), straight on loopback and through a loopback proxy
   that holds every chunk 25 ms in each direction (50 ms round trip; ``bench/delay_proxy.py``).
   Targets: at most 1.5x ssh's time on loopback, at most 1.2x at 50 ms RTT.
2. Time to the first transcript line: in a fresh interpreter, from the tester's "enter" (the
   lazy import of the probe included, as the tester screen does it) to the first line given to
   the sink; and for the CLI, from starting ``sshdeck test -v`` to its first stderr line.
   Target: 100 ms.

3. Round trips: one more login of each through the proxy, its chunks logged; every turn of
   the conversation that had to wait for the other side counts half a round trip
   (``delay_proxy.round_trips``).

This repository's ``tui`` is measured (``PYTHONPATH``), with its bytecode cached in a temporary
``PYTHONPYCACHEPREFIX`` as an installed copy has it (``PYTHONDONTWRITEBYTECODE`` would make every
run compile sshdeck's modules again). Starts its own sshd (tests/fixtures/sshd.py) and a
throwaway user; loopback only. Run as root from the repository:
``.venv/bin/python -m bench.bench_test``.
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

from bench.common import sshdeck_command  # noqa: E402
from bench.delay_proxy import DelayProxy, round_trips  # noqa: E402
from tests.fixtures.sshd import _start_sshd  # noqa: E402

ROUNDS = 7
ONE_WAY_DELAY = 0.025

FIRST_LINE = """
import asyncio, sys, time
from pathlib import Path
t0 = time.perf_counter()
from tui.core.connect.client import ConnectOptions, parse_target
from tui.core.connect.probe import ProbeOptions, run_probe
from tui.core.connect.trace import TranscriptLine
imported = time.perf_counter() - t0
marks = {}
def sink(event):
    if isinstance(event, TranscriptLine):
        now = time.perf_counter() - t0
        marks.setdefault("any", now)
        if event.level <= 1:
            marks.setdefault("v", now)
target, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
options = ConnectOptions(target=parse_target(target), port=port, identities=(Path(key),))
result = asyncio.run(run_probe(ProbeOptions(connect=options), sink))
print(marks.get("any", float("nan")), marks.get("v", float("nan")), imported, result.outcome)
"""


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {result.stderr}")
    return elapsed


def first_stderr_line(args: list[str], env: dict[str, str]) -> float:
    """From starting the process to its first line on stderr."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    assert process.stderr is not None
    process.stderr.readline()
    elapsed = time.perf_counter() - start
    process.stderr.read()
    process.wait(timeout=60)
    return elapsed


def compare(label: str, ours: list[str], theirs: list[str], env: dict[str, str]) -> float:
    timed(ours, env), timed(theirs, env)  # warm caches
    mine: list[float] = []
    ssh: list[float] = []
    for _ in range(ROUNDS):  # interleaved: load on the machine hits both alike
        mine.append(timed(ours, env))
        ssh.append(timed(theirs, env))
    a, b = statistics.median(mine), statistics.median(ssh)
    print(f"{label}: sshdeck test --json {a * 1000:6.1f} ms, ssh BatchMode true {b * 1000:6.1f} ms"
          f" (medians of {ROUNDS}) -> {a / b:.2f}x")  # fmt: skip
    return a / b


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="sshdeck-bench-"))
    server = _start_sshd(base)
    name = "sdkbench" + str(os.getpid())
    subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
    try:
        home = base / "home"
        ssh_dir = home / ".ssh"
        ssh_dir.mkdir(parents=True, mode=0o700)
        key = ssh_dir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        user_ssh = Path(f"/home/{name}/.ssh")
        user_ssh.mkdir(mode=0o700)
        (user_ssh / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
        subprocess.run(["chown", "-R", f"{name}:{name}", str(user_ssh)], check=True)
        known = ssh_dir / "known_hosts"
        repo = str(Path(__file__).resolve().parent.parent)
        drop = ("SSH_AUTH_SOCK", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if k not in drop} | {
            "HOME": str(home),
            "PYTHONPATH": repo,
            "PYTHONPYCACHEPREFIX": str(base / "pycache"),
        }
        target = f"{name}@127.0.0.1"

        def commands(port: int) -> tuple[list[str], list[str]]:
            ours = [*sshdeck_command(), "test", target, "-p", str(port), "-i", str(key), "--json"]
            theirs = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o",
                      f"UserKnownHostsFile={known}", "-i", str(key), "-p", str(port), target,
                      "true"]  # fmt: skip
            return ours, theirs

        with DelayProxy(server.port, ONE_WAY_DELAY, log=True) as proxy:
            line = server.known_hosts_line()
            known.write_text(
                line + "\n" + line.replace(f":{server.port} ", f":{proxy.port} ") + "\n"
            )
            direct = compare("loopback        ", *commands(server.port), env)
            delayed = compare("loopback+50msRTT", *commands(proxy.port), env)
            print(f"ratio targets: loopback {direct:.2f}x (<= 1.5x), 50 ms RTT {delayed:.2f}x"
                  " (<= 1.2x)")  # fmt: skip
            counts = []
            assert proxy.connections is not None
            for args in commands(proxy.port):
                timed(args, env)
                counts.append(round_trips(proxy.connections[-1], ONE_WAY_DELAY))
            print(
                f"round trips through the proxy: sshdeck test {counts[0]:.1f}, ssh {counts[1]:.1f}"
            )

        startup = statistics.median(
            timed([*sshdeck_command(), "test", "--help"], env) for _ in range(ROUNDS)
        )
        print(f"of which process start and imports (sshdeck test --help): {startup * 1000:.1f} ms")

        probe = [sys.executable, "-c", FIRST_LINE, target, str(server.port), str(key)]
        firsts = []
        for _ in range(ROUNDS):
            out = subprocess.run(probe, capture_output=True, text=True, env=env, timeout=60)
            any_line, v_line, imports, outcome = out.stdout.split()
            if outcome != "ok":
                raise SystemExit(f"probe failed: {out.stdout} {out.stderr}")
            firsts.append((float(any_line), float(v_line), float(imports)))
        first_any = statistics.median(f[0] for f in firsts)
        first_v = statistics.median(f[1] for f in firsts)
        import_time = statistics.median(f[2] for f in firsts)
        ours, _ = commands(server.port)
        cli_first = statistics.median(
            first_stderr_line([*ours[:-1], "-v"], env) for _ in range(ROUNDS)
        )
        print(f"first transcript line after 'enter' (fresh interpreter, probe import included):"
              f" {first_any * 1000:.1f} ms (any level), {first_v * 1000:.1f} ms (-v level);"
              f" target 100 ms; of which importing the probe {import_time * 1000:.1f} ms")  # fmt: skip
        print(f"first stderr line of 'sshdeck test -v' from process start: {cli_first * 1000:.1f}"
              " ms (interpreter start and imports included)")  # fmt: skip
    finally:
        server.stop()
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)


if __name__ == "__main__":
    main()
