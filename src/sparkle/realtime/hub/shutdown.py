"""Start and graceful shutdown: the background loops, and on SIGTERM/SIGINT a
`serverShutdown` announcement written before uvicorn closes the connections."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
from typing import Any

import structlog

from sparkle.core import runtime as runtime_mod
from sparkle.realtime import presence
from sparkle.realtime.hub.base import (
    ANNOUNCE_TIMEOUT,
)
from sparkle.realtime.hub.connection import Connection
from sparkle.realtime.manager import FastRedisManager
from sparkle.realtime.schemas import (
    ServerShutdownOut,
)

# The name of the module the hub was one file in, kept for the logs.
log = structlog.get_logger("sparkle.realtime.hub")


class Lifecycle(Connection):
    """Start the loops; announce the shutdown, drain the work queue and close."""

    # --- life cycle --------------------------------------------------------------------------

    async def start(self, rt: runtime_mod.Runtime) -> None:
        self.rt = rt
        if rt.redis is not None:
            self.store = presence.RedisPresence(rt.redis, self.settings.realtime_presence_ttl)
        if self.settings.realtime_gc_tuning:
            # Fewer young-generation collections: measured to matter for fan-out (DESIGN §6).
            gc.set_threshold(50_000, 50, 100)
        self._queue = asyncio.Queue(maxsize=10_000)
        self.accepting = True
        self._announce_on_exit_signals()
        loops = [self._heartbeat_loop(), self._session_loop(), self._work_loop()]
        if rt.redis is not None:
            loops.append(self._revocation_listener())
        self._tasks = [asyncio.create_task(c) for c in loops]

    async def announce_shutdown(self) -> None:
        """Stop accepting and tell this process's clients to reconnect elsewhere (once)."""
        self.accepting = False
        if self._announced or not self.conns:
            return
        self._announced = True
        await self.sio.emit("serverShutdown", ServerShutdownOut().wire(), ignore_queue=True)
        self.sio.eio.flusher.flush()

    def _announce_on_exit_signals(self) -> None:
        """uvicorn closes every connection on SIGTERM/SIGINT before the application's shutdown
        runs: the signal first announces the shutdown, then hands over to uvicorn's handler, so
        the announcement is written before any connection is closed. A second signal during the
        announcement goes straight to uvicorn (a second Ctrl-C still forces the exit)."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        announcing: list[int] = []
        tasks: set[asyncio.Task[None]] = set()

        def start(previous: Any, sig: int) -> None:
            task = loop.create_task(announce_then(previous, sig))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        async def announce_then(previous: Any, sig: int) -> None:
            try:
                await asyncio.wait_for(self.announce_shutdown(), ANNOUNCE_TIMEOUT)
            except Exception:  # the shutdown goes ahead regardless
                log.warning("realtime.shutdown_announce_failed", exc_info=True)
            finally:
                previous(sig, None)

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(signum)
            owner = getattr(previous, "__self__", None)
            if owner is None or type(owner).__module__ != "uvicorn.server":
                continue

            def handler(sig: int, frame: Any, previous: Any = previous) -> None:
                if announcing or self._announced:
                    previous(sig, frame)
                    return
                announcing.append(sig)
                # Thread-safe scheduling also wakes the loop out of its selector.
                loop.call_soon_threadsafe(start, previous, sig)

            signal.signal(signum, handler)

    async def stop(self) -> None:
        """Stop accepting, tell clients to reconnect elsewhere, take this process's devices off
        presence, drain the outgoing work and close. Safe to call twice."""
        if self.rt is None or self._stopped:
            return
        self._stopped = True
        await self.announce_shutdown()
        for sid in list(self.conns):
            await self._forget(sid)
        # Closing the engine.io sockets (not a Socket.IO disconnect) makes clients reconnect.
        # Without waiting for the CLOSE packet to be collected: a long-polling client that went
        # away never collects it, and would hold the shutdown forever.
        eio = self.sio.eio
        for eio_sid, sock in list(eio.sockets.items()):
            with contextlib.suppress(Exception):  # already gone
                await sock.close(wait=False, reason=eio.reason.SERVER_DISCONNECT)
            eio.sockets.pop(eio_sid, None)
        if self._queue is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout=5)
            except TimeoutError:
                log.warning("realtime_drain_timeout", left=self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for handle in self._viewer_timers.values():
            handle.cancel()
        await self.sio.shutdown()
        manager = self.sio.manager
        if isinstance(manager, FastRedisManager) and getattr(manager, "redis", None) is not None:
            with contextlib.suppress(Exception):  # closing anyway
                await manager.redis.aclose()
