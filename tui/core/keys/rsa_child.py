"""One RSA prime search, run as a script by :mod:`tui.core.keys.rsa_search`: never imported.

``python -I rsa_child.py BITS [NICENESS]`` writes the key to stdout as unencrypted PKCS#8 DER
(a pipe to the parent, never a file). It imports only ``cryptography``, so it starts fast and
needs nothing of sshdeck on its path.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    bits = int(argv[1])
    if len(argv) > 2 and hasattr(os, "setpriority"):
        try:  # a background search: never compete with the app's screen and keyboard
            current = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, 0, max(current, int(argv[2])))
        except OSError:
            pass
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    data = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    view = memoryview(data)
    while view:
        view = view[os.write(sys.stdout.fileno(), view) :]
    return 0


if __name__ == "__main__":  # pragma: no cover - runs in the child
    sys.exit(main(sys.argv))
