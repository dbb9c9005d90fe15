"""Write ``screenshots/<name>.svg`` for every scene in ``scripts/scenes`` and the README block.

Run: ``.venv/bin/python -m scripts.screenshots [NAME ...]`` (all scenes when no name is given).
Each scene gets a fresh HOME at the fixed path ``/tmp/sshdeck-screens/home`` (so paths on screen
never change), XDG dirs inside it, the file-backed test keyring, no ssh-agent and no cloud
credentials: the same isolation as the tests; as root the run goes on in a network namespace of
its own, so the scenes' servers always get their fixed ports. The README's block between the
``screenshots:begin`` and ``screenshots:end`` markers is rewritten from the full scene list.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import scripts.scenes  # noqa: E402
from scripts.scenes import HOME, Scene  # noqa: E402

OUT = ROOT / "screenshots"
README = ROOT / "README.md"
BEGIN = "<!-- screenshots:begin (written by scripts/screenshots.py) -->"
END = "<!-- screenshots:end -->"
CLEARED = ("SSH_AUTH_SOCK", "SSH_AGENT_PID", "DISPLAY", "SSH_ASKPASS")
#: Two runs at once would share the fixed HOME (each wiping the other's), the demo account and
#: the demo sshd's port; the second run waits for the first on this lock, kept outside HOME.
LOCK = HOME.parent.with_name(HOME.parent.name + ".lock")
#: Set in the re-run inside a private network namespace (see ``in_private_network``).
NETNS_MARK = "SSHDECK_SCREENS_NETNS"


def in_private_network(argv: list[str]) -> int | None:
    """Run this script again inside a network namespace of its own; its exit code, or None.

    The scenes' sshd servers want fixed ports (2222, 2322) because the port is on screen; on a
    shared machine any other sshd or test holding such a port pushed a scene to a random one
    (a different picture on every run) or, worse, answered in its place with another host
    key ("host key CHANGED"). In a namespace of its own, 127.0.0.1 belongs to this run only.
    Needs root and ``unshare``/``ip`` (as the sshd scenes do); None when not available.
    """
    if os.environ.get(NETNS_MARK) or os.geteuid() != 0:
        return None
    if not (shutil.which("unshare") and shutil.which("ip")):
        return None
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    if probe.returncode != 0:
        return None
    command = 'ip link set lo up && exec "$0" "$@"'
    script = str(Path(__file__).resolve())
    env = {**os.environ, NETNS_MARK: "1"}
    args = ["unshare", "--net", "sh", "-c", command, sys.executable, script, *argv]
    return subprocess.run(args, env=env).returncode


def all_scenes() -> list[Scene]:
    scenes: list[Scene] = []
    # the key list first: it is the app's first screen; then the other areas by name
    names = sorted(i.name for i in pkgutil.iter_modules(scripts.scenes.__path__))
    for name in sorted(names, key=lambda n: (n != "keys", n)):
        module = importlib.import_module(f"scripts.scenes.{name}")
        scenes.extend(getattr(module, "SCENES", []))
    return scenes


def isolate(home: Path) -> None:
    """A fresh HOME and nothing of the real user's: keys, keyring, agent, cloud."""
    if home.parent.exists():
        shutil.rmtree(home.parent)
    home.mkdir(parents=True)
    os.environ["HOME"] = str(home)
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        os.environ[var] = str(home / sub)
    for var in [*CLEARED, *(v for v in os.environ if v.startswith("IBMCLOUD_"))]:
        os.environ.pop(var, None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.TestKeyring"
    os.environ["SSHDECK_TEST_KEYRING"] = str(home.parent / "keyring.json")
    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    import keyring

    from tests.keyring_backend import TestKeyring

    keyring.set_keyring(TestKeyring())


async def shoot(scene: Scene) -> Path:
    from tui.app import make_app
    from tui.core.settings import Settings
    from tui.services import Services

    isolate(HOME)
    cleanup = scene.prepare(HOME) if scene.prepare else None
    try:
        # the services read the scene's settings (temporary HOME, the cloud API emulator) once
        services = Services.create(Settings.from_environment())
        app = make_app(directory=services.settings.ssh_dir, services=services)
        async with app.run_test(size=scene.size) as pilot:
            await scene.drive(pilot)
            await pilot.pause()
            svg = app.export_screenshot(title="sshdeck")
    finally:
        if cleanup:
            cleanup()
    OUT.mkdir(exist_ok=True)
    target = OUT / f"{scene.name}.svg"
    target.write_text(svg)
    return target


def readme_block(scenes: list[Scene]) -> str:
    lines = [f"![{s.title}](screenshots/{s.name}.svg)" for s in scenes]
    return "\n".join([BEGIN, *lines, END])


def update_readme(scenes: list[Scene]) -> None:
    """Rewrite only the block between the markers (other sections belong to other people)."""
    text = README.read_text()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        print("README.md has no screenshots markers; left alone.", file=sys.stderr)
        return
    README.write_text(text[:start] + readme_block(scenes) + text[end + len(END) :])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scene names (default: all)")
    args = parser.parse_args(argv)
    isolated = in_private_network(list(args.names))
    if isolated is not None:
        return isolated
    scenes = all_scenes()
    chosen = [s for s in scenes if not args.names or s.name in args.names]
    unknown = set(args.names) - {s.name for s in scenes}
    if unknown:
        print(f"No scene named {', '.join(sorted(unknown))}.", file=sys.stderr)
        return 2
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        return shoot_all(scenes, chosen)


def shoot_all(scenes: list[Scene], chosen: list[Scene]) -> int:
    failed = 0
    for scene in chosen:
        try:
            path = asyncio.run(shoot(scene))
        except Exception as exc:  # one broken scene must not stop the others
            failed += 1
            print(f"{scene.name}: failed ({type(exc).__name__}: {exc})", file=sys.stderr)
            continue
        print(f"{scene.name}: {path.relative_to(ROOT)}")
    update_readme([s for s in scenes if (OUT / f"{s.name}.svg").exists()])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
