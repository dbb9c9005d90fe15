"""A loopback TCP proxy that holds every chunk ``delay`` seconds in each direction.

With 25 ms each way a round trip costs 50 ms, what a Power VM across a WAN looks like (the
kernel's netem is not available on these machines). Chunks keep their order and are not
serialised behind each other: a chunk read at t leaves at t + delay, whatever is still queued.
Loopback only: it listens on 127.0.0.1 and connects to 127.0.0.1.

    with DelayProxy(upstream_port=2222, delay=0.025) as proxy:
        ... connect to 127.0.0.1:proxy.port ...
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import TypeAlias

LOOPBACK = "127.0.0.1"


Chunks: TypeAlias = list[tuple[float, str, int]]


async def _pump(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    delay: float,
    log: Chunks | None = None,
    direction: str = "",
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            if log is not None:
                log.append((loop.time(), direction, len(data)))
            queue.put_nowait((loop.time() + delay, data))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()


def round_trips(chunks: Chunks, delay: float) -> float:
    """Round trips one connection spent waiting on the network, counted from its chunks.

    A turn is a run of chunks in one direction; a turn that begins later than ``delay`` after
    the previous turn began waited for the other side, so every such turn counts half a round
    trip (the TCP handshake, one more, happens before the proxy sees anything)."""
    turns = 0
    last_direction, last_start = "", -1.0
    for when, direction, _size in chunks:
        if direction == "=":
            continue
        if direction != last_direction:
            if last_direction == "" or when - last_start >= delay * 0.8:
                turns += 1
            last_direction, last_start = direction, when
    return 1 + turns / 2


class DelayProxy:
    """Runs its own event loop in a thread; ``port`` is where clients connect."""

    def __init__(self, upstream_port: int, delay: float = 0.025, log: bool = False) -> None:
        self.upstream_port = upstream_port
        #: with ``log``: one list per connection of (time read, ">" to server or "<" to
        #: client, bytes; 0 is end of file), after ("=", accepted): what ``round_trips`` counts
        self.connections: list[Chunks] | None = [] if log else None
        self.delay = delay
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except OSError:
            writer.close()
            return
        log: Chunks | None = None
        if self.connections is not None:
            log = [(asyncio.get_running_loop().time(), "=", 0)]  # accepted
            self.connections.append(log)
        try:
            await asyncio.gather(
                _pump(reader, up_writer, self.delay, log, ">"),
                _pump(up_reader, writer, self.delay, log, "<"),
            )
        except asyncio.CancelledError:
            pass  # the proxy is stopping
        finally:
            for w in (writer, up_writer):
                w.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._server = await asyncio.start_server(self._handle, LOOPBACK, 0)
            self.port = self._server.sockets[0].getsockname()[1]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()
        self._loop.close()

    def __enter__(self) -> DelayProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the delay proxy did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self._loop)
        self._thread.join(timeout=10)
