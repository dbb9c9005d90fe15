"""Headless commands: one module per command family, each with ``register(subparsers)``.

Contract for every module here: exit 0 on success, 1 when the operation failed (the error's
one sentence on stderr, no traceback), 2 on a usage error (argparse's own exit). ``--json``
prints exactly one JSON document on stdout. Heavy imports happen inside the command function.
"""
