"""The one RSA search (children raced on every core): sound, distinct keys, no child left behind,
cancellable at once, and at background priority when the app asks."""

from __future__ import annotations

import os
import threading
import time

from tui.core.keys.rsa_search import BACKGROUND_NICENESS, RsaSearch, generate_rsa_key


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def _children() -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _stat_fields(int(entry))
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
    assert first.private_numbers().p != second.private_numbers().p  # each child its own search
    signature = first.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    first.public_key().verify(signature, b"data", padding.PKCS1v15(), hashes.SHA256())
    assert _children() <= before  # every search child was killed and reaped


def test_a_background_search_runs_niced_and_cancel_kills_every_child() -> None:
    before = _children()
    search = RsaSearch(8192, workers=2, background=True)  # long enough to be seen running
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(search.run()))
    thread.start()
    deadline = time.monotonic() + 20
    niceness: list[int] = []
    while time.monotonic() < deadline and len(niceness) < 2:
        niceness = []
        for child in search.children:
            try:
                fields = _stat_fields(child.pid)
            except OSError:
                continue
            # field 19 of /proc/PID/stat (index 16 after the name) is the nice value; the child
            # sets it right after it starts, before its search
            if fields[0] != "Z" and int(fields[16]) >= BACKGROUND_NICENESS:
                niceness.append(int(fields[16]))
        time.sleep(0.01)
    search.cancel()
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert len(niceness) == 2, "both children lowered their priority"
    assert outcome == [None]  # cancelled: no key comes back
    assert _children() <= before
