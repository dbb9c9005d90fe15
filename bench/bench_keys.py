"""Key core benchmarks against OpenSSH's own tools, in one run (issue: foundation).

(a) ``sshdeck list --json`` over 1,000 mixed keys vs a shell loop of ``ssh-keygen -l -f``;
(b) ``sshdeck keygen -t rsa -b 4096`` vs ``ssh-keygen -t rsa -b 4096``, medians;
(c) cold start of ``sshdeck fingerprint -f`` vs ``ssh-keygen -l -f``.

Run: ``python -m bench.bench_keys [--keys 1000] [--rsa-runs 7]``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.common import median_time, report, sshdeck_command, time_command


def make_key_directory(directory: Path, count: int) -> None:
    """Mixed keys: ed25519/ECDSA/RSA, encrypted or not, PEM, lone .pub files, certificates."""
    from tui.core.keys.generate import generate_private_key, write_key_pair

    pool = [
        generate_private_key(t, b, f"bench{i}")
        for i, (t, b) in enumerate(
            [
                ("ed25519", None),
                ("ecdsa", 256),
                ("ecdsa", 384),
                ("ecdsa", 521),
                ("rsa", 2048),
                ("rsa", 3072),
            ]
        )
    ]
    for i in range(count):
        key = generate_private_key("ed25519", None, f"k{i}") if i % 6 == 0 else pool[i % len(pool)]
        write_key_pair(
            key,
            directory / f"key{i:04d}",
            passphrase="bench pass" if i % 5 == 0 else None,
            rounds=2,
        )
        if i % 10 == 3:
            (directory / f"key{i:04d}").unlink()  # a lone public key
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            "",
            "-f",
            str(directory / "legacy.pem"),
        ],
        check=True,
    )
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-s",
            str(directory / "key0001"),
            "-I",
            "b",
            "-n",
            "u",
            str(directory / "key0002.pub"),
        ],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--rsa-runs", type=int, default=7)
    parser.add_argument("--cold-runs", type=int, default=25)
    args = parser.parse_args()
    sshdeck = sshdeck_command()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = work / "keys"
        keys.mkdir(mode=0o700)
        make_key_directory(keys, args.keys)
        files = len(list(keys.iterdir()))

        ours = min(time_command([*sshdeck, "list", "--json", "--dir", str(keys)]) for _ in range(3))
        theirs = time_command(f'for f in "{keys}"/*; do ssh-keygen -l -f "$f"; done', shell=True)
        report(
            f"(a) list {args.keys} keys ({files} files)",
            ours,
            theirs,
            "target: at least 10x as fast",
        )

        # Interleaved, so that a busy moment of the machine hits both sides alike.
        ours_runs, theirs_runs = [], []
        for i in range(args.rsa_runs):
            common = ["-t", "rsa", "-b", "4096", "-N", "", "-C", "b", "-f"]
            ours_runs.append(time_command([*sshdeck, "keygen", *common, str(work / f"ours{i}")]))
            theirs_runs.append(time_command(["ssh-keygen", "-q", *common, str(work / f"th{i}")]))
        report(
            f"(b) RSA-4096 keygen, median of {args.rsa_runs}",
            statistics.median(ours_runs),
            statistics.median(theirs_runs),
            "target: at most 0.5x ssh-keygen's time",
        )

        pub = keys / "key0002.pub"
        ours = median_time([*sshdeck, "fingerprint", "-f", str(pub)], args.cold_runs)
        theirs = median_time(["ssh-keygen", "-l", "-f", str(pub)], args.cold_runs)
        report(
            f"(c) cold start of fingerprint, median of {args.cold_runs}",
            ours,
            theirs,
            f"absolute target < 250 ms: {'met' if ours < 0.25 else 'NOT met'}",
        )


if __name__ == "__main__":
    main()
