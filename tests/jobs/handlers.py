"""Job types used by the job system's tests (imported by test worker processes with
`sparkle worker --import tests.jobs.handlers`)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from pydantic import BaseModel

from sparkle.core import jobs

RAN: list[int] = []
FAILED: list[int] = []


class Numbered(BaseModel):
    n: int


class Slow(BaseModel):
    name: str
    seconds: float


@jobs.job("testjobs.record", queue="analytics", payload=Numbered)
async def record(p: Numbered) -> None:
    RAN.append(p.n)


@jobs.job("testjobs.fail", queue="analytics", payload=Numbered)
async def fail(p: Numbered) -> None:
    FAILED.append(p.n)
    raise RuntimeError(f"failure number {p.n}")


@jobs.job("testjobs.slow", queue="analytics", payload=Slow, heartbeat=2)
async def slow(p: Slow) -> None:
    """Writes `start`/`end` lines with this process's id around a sleep."""
    log = Path(os.environ["JOBS_TEST_DIR"]) / f"{p.name}.log"
    with log.open("a") as f:
        f.write(f"start {os.getpid()} {time.time()}\n")
    await asyncio.sleep(p.seconds)
    with log.open("a") as f:
        f.write(f"end {os.getpid()} {time.time()}\n")
