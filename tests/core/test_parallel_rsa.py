"""The raced RSA search gives sound, distinct keys and leaves no child process behind."""

from __future__ import annotations

import os

from tui.core.keys.parallel_rsa import generate_rsa_key


def _children() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


def test_raced_keys_are_valid_distinct_and_leave_no_children() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    before = _children()
    first = generate_rsa_key(2048, workers=2)
    second = generate_rsa_key(2048, workers=2)
    assert first.key_size == second.key_size == 2048
    assert first.private_numbers().p != second.private_numbers().p  # each fork re-seeded
    signature = first.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    first.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())
    assert _children() <= before  # every search child was killed and reaped
