"""``sshdeck`` and ``python -m tui``: the app with no command, a headless command otherwise.

Each command family lives in a ``tui.cli`` module with a ``register(subparsers)`` function.
Those modules import only the standard library and light parts of the core at module level, so
that ``sshdeck fingerprint`` starts in a few tens of milliseconds; Textual, asyncssh and httpx
are imported inside the commands that need them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from tui import __version__
from tui.core.errors import SshDeckError

COMMAND_MODULES = (
    "tui.cli.keys",
    "tui.cli.agent",
    "tui.cli.test",
    "tui.cli.cloud",
    "tui.cli.copy_id",
)

#: a command line starting with one of these builds only that command's parser: ``sshdeck
#: test`` (whose start-up counts in the tester's speed targets) imports no other family
ONLY_MODULE = {"test": "tui.cli.test"}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sshdeck",
        description="SSH keys from generation to login. Without a command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"sshdeck {__version__}")
    parser.add_argument(
        "--dir",
        dest="app_dir",
        type=Path,
        default=None,
        help="key directory the app opens (default ~/.ssh)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES if only is None else (only,):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command family is not built yet
                continue
            raise
        module.register(subparsers)
    return parser


def run_app(directory: Path | None) -> int:
    from tui.app import make_app

    make_app(directory=directory).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(ONLY_MODULE.get(words[0]) if words else None)
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return run_app(args.app_dir)
        if args.app_dir is not None and getattr(args, "dir", "absent") is None:
            args.dir = args.app_dir  # `sshdeck --dir D list` means `sshdeck list --dir D`
        result: int = args.func(args)
        return result
    except SshDeckError as exc:
        from tui.core.text import visible

        # file names, comments and server texts inside the sentence are untrusted
        print(visible(str(exc)), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted; nothing was changed after the interruption.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except OSError as exc:  # a last net: the core turns the OSErrors it expects into sentences
        from tui.core.text import visible

        where = f" ({visible(str(exc.filename))})" if exc.filename else ""
        print(
            f"A system call failed: {exc.strerror or type(exc).__name__}{where}; nothing more was done.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
