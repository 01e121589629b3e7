"""Group work that arrives together: while one run is in flight, what is submitted meanwhile
waits and goes in the next run, so a burst costs a few runs (queries, writes), not one each,
and a lone call still runs at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`await submit(item)` answers with `run(batch)`'s result for that item. One run at a time,
    in the order submitted, at most `max_batch` items each; an error in a run is raised to every
    caller of that run. A caller that gives up waiting leaves its item in the batch."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R]]], max_batch: int = 500) -> None:
        self._run = run
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, answer))
        if self._draining is None:
            self._draining = loop.create_task(self._drain())
        return await answer

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                try:
                    results = await self._run([item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - raised to each caller of this run
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                for (_, answer), result in zip(batch, results, strict=True):
                    if not answer.done():
                        answer.set_result(result)
        finally:
            self._draining = None
            for _, answer in self._pending:  # the loop is shutting down: nobody will run these
                if not answer.done():
                    answer.set_exception(RuntimeError("batch cancelled"))
            self._pending.clear()
