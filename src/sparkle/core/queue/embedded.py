"""The job system of a web process that built its own runtime: the broker is installed so
enqueued jobs are persisted, and (unless `JOBS_EMBEDDED_WORKER=0`, when `sparkle worker`
processes do the work) a worker for every queue runs inside the process."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from sparkle.core import jobs
from sparkle.core.queue.broker import Broker
from sparkle.core.queue.worker import JobWorker
from sparkle.core.runtime import Runtime


@dataclass
class JobSystem:
    broker: Broker
    worker: JobWorker | None


# The modules whose import registers every job handler and event route. The application names
# them (`sparkle.app` and `sparkle.cli` register `sparkle.domains`), so that core imports no
# domain.
_handler_modules: list[str] = []


def register_handler_modules(*modules: str) -> None:
    """Name modules that `import_handlers` imports before any job system starts."""
    _handler_modules.extend(m for m in modules if m not in _handler_modules)


def import_handlers(modules: list[str]) -> None:
    """Import the registered handler modules, then `modules` (`JOBS_IMPORT`)."""
    for module in [*_handler_modules, *modules]:
        importlib.import_module(module)


async def start(rt: Runtime, *, worker: bool | None = None) -> JobSystem:
    settings = rt.settings
    import_handlers(settings.jobs_import)
    broker = Broker.from_settings(settings)
    await broker.connect()
    jobs.install(broker)
    jobs.configure(inline=False)
    runner = None
    if settings.jobs_embedded_worker if worker is None else worker:
        runner = JobWorker(
            broker,
            rt.sessions,
            sweep_seconds=settings.jobs_sweep_seconds,
            outbox_seconds=settings.jobs_outbox_seconds,
        )
        await runner.start()
    return JobSystem(broker, runner)


async def stop(system: JobSystem) -> None:
    if system.worker is not None:
        await system.worker.stop()
    if jobs.broker is system.broker:
        jobs.install(None)
    await system.broker.close()
