"""A minimal job registry and in-process runner.

Handlers register as `domain.verb` with a typed payload and are run after commit: awaited
inline (tests, CLI) or as background tasks inside the web process (embedded mode). The full
job system (persisted queues, retries, workers) replaces the runner, not this interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel, ValidationError

log = structlog.get_logger(__name__)

Handler = Callable[[Any], Awaitable[None]]


@dataclass
class JobType:
    name: str
    queue: str
    payload: type[BaseModel]
    handler: Handler
    attempts: int = 3


REGISTRY: dict[str, JobType] = {}


class Runner:
    """Runs jobs in this process. `inline=True` awaits them before returning."""

    def __init__(self, inline: bool = False) -> None:
        self.inline = inline
        self.tasks: set[asyncio.Task[None]] = set()

    async def submit(self, job: JobType, payload: dict[str, Any]) -> None:
        if self.inline:
            await _run(job, payload)
            return
        task = asyncio.get_running_loop().create_task(_run(job, payload))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


runner = Runner(inline=True)


def job(name: str, *, queue: str, payload: type[BaseModel]) -> Callable[[Handler], Handler]:
    """Register `handler` as job `name` taking `payload`."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = JobType(name, queue, payload, handler)
        return handler

    return register


def validate(name: str, payload: dict[str, Any]) -> None:
    if name not in REGISTRY:
        raise KeyError(f"Invalid job type: {name}")
    REGISTRY[name].payload.model_validate(payload)


def configure(*, inline: bool) -> None:
    runner.inline = inline


async def dispatch(name: str, payload: dict[str, Any]) -> None:
    await runner.submit(REGISTRY[name], payload)


async def _run(job: JobType, payload: dict[str, Any]) -> None:
    delay = 2.0
    for attempt in range(1, job.attempts + 1):
        try:
            await job.handler(job.payload.model_validate(payload))
            return
        except ValidationError:
            log.exception("job_invalid_payload", job=job.name)
            return
        except Exception:
            log.exception("job_failed", job=job.name, attempt=attempt)
            if attempt == job.attempts or runner.inline:
                if runner.inline:
                    raise
                return
            await asyncio.sleep(delay)
            delay *= 2
