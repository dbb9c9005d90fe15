"""What every ``sshdeck cloud`` command shares: the service built from the environment, a
client for the command's run, the workspace it names, and the text table."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.core.upload.service import CloudService
    from tui.core.upload.stratos import StratosClient
    from tui.core.upload.zones import Workspace


def cloud_service() -> CloudService:
    """The cloud service of this command, built from the environment as it is now."""
    from tui.core.settings import Settings
    from tui.core.upload.service import CloudService

    return CloudService(Settings.from_environment())


def run_with_client(
    work: Callable[[StratosClient], Awaitable[int]],
    api_key: str | None = None,
    private: bool | None = None,
) -> int:
    """Run ``work`` with a client; a missing workspace choice is a usage error (exit 2)."""
    import asyncio

    from tui.core.upload.zones import WorkspaceChoiceNeeded

    service = cloud_service()
    key = api_key or service.find_api_key()[0]

    async def main() -> int:
        async with service.client(key, private=private) as client:
            return await work(client)

    try:
        return asyncio.run(main())
    except WorkspaceChoiceNeeded as exc:
        print(str(exc), file=sys.stderr)
        return 2


async def workspace_of(client: StratosClient, wanted: str | None) -> Workspace:
    """The workspace named (and then remembered), the remembered one or the only one."""
    from tui.core.upload.service import CloudService

    return await CloudService(client.settings).workspace(client, wanted)


def print_table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
