"""The platform's catalogues as documents, generated so they cannot drift from the code.

- `python -m sparkle.catalog events > docs/events.md`: every domain event, its payload and its
  consumers, from the event classes (`<domain>/events.py`) and the route table the domains
  fill (`jobs.py`, `sockets.py`).
- `python -m sparkle.catalog errors > docs/errors.md`: every error code with its status.

Tests fail when a document and the code differ.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic.fields import FieldInfo

import sparkle.app  # noqa: F401  (every error class, event class and consumer)
from sparkle.core import errors, events, jobs

INTRO = """# Domain events

Generated from the event classes and the route table (`python -m sparkle.catalog events >
docs/events.md`); a test fails when this file and the code differ.

A domain event says that something happened and was committed. Each is a Pydantic model in the
producing domain's `events.py` (`extra="forbid"`, named as in the seeds, `domain:verb`),
raised only with `sparkle.core.events.publish(session, Event(...))` inside the transaction that
made the change. Consumers are declared by the consuming domain (see
[conventions](conventions.md#events-jobs-and-sockets)):

- **job**: `events.route(Event, job="domain.verb")` in the consumer's `jobs.py`. `publish()`
  enqueues the job in the producer's transaction — with a broker, an outbox row — so once the
  change is committed the job runs at least once, even if the process dies before handing it
  over or the broker refuses it (the sweeper relays the row). Jobs are idempotent.
- **socket**: `@realtime.route(Event)` in the consumer's `sockets.py`: run after commit on the
  process's ordered realtime work queue, it emits Socket.IO events to the rooms it names
  ([realtime.md](realtime.md)). Live delivery is best effort by nature; what must not be lost
  goes through a job.

Ephemeral signals (typing, upload progress, presence) are not domain events: they are emitted
directly. On the wire (job payloads, other processes) an event is the camelCase JSON of its
fields.

| event | class | consumers |
|---|---|---|
"""


def _type(info: FieldInfo) -> str:
    text = repr(info.annotation) if info.annotation is not None else "Any"
    for noise in ("typing.", "uuid.", "<class '", "'>", "NoneType"):
        text = text.replace(noise, "" if noise != "NoneType" else "None")
    return text.replace("UUID", "uuid").replace(" | ", " \\| ")  # a pipe inside a table cell


def _consumers(name: str) -> list[str]:
    found = [
        f"job `{r.job}` ({jobs.REGISTRY[r.job].queue} queue)" if r.job in jobs.REGISTRY else r.job
        for r in events.JOB_ROUTES.get(name, ())
    ]
    found += [
        f"{r.kind} `{r.owner.removeprefix('sparkle.')}`" for r in events.AFTER_COMMIT.get(name, ())
    ]
    return found


def _summary(model: type[Any]) -> str:
    return " ".join((model.__doc__ or "").split())


def render_events() -> str:
    names = sorted(events.CATALOG)
    lines = [INTRO.rstrip("\n")]
    for name in names:
        model = events.CATALOG[name]
        consumers = "; ".join(_consumers(name)) or "none yet"
        lines.append(f"| [`{name}`](#{_anchor(name)}) | `{model.__name__}` | {consumers} |")
    lines.append("")
    for name in names:
        model = events.CATALOG[name]
        domain = model.__module__.removeprefix("sparkle.").removesuffix(".events")
        lines.append(f"## {name}\n")
        lines.append(f"`{model.__name__}` ({domain}). {_summary(model)}\n")
        lines.append("| field | type |")
        lines.append("|---|---|")
        for field, info in model.model_fields.items():
            lines.append(f"| `{info.alias or field}` | `{_type(info)}` |")
        lines.append("")
    return "\n".join(lines)


def _anchor(name: str) -> str:
    return name.replace(":", "").lower()


ERRORS_INTRO = """# Error codes

Generated from the error classes (`python -m sparkle.catalog errors > docs/errors.md`); a test
fails when this file and the code differ.

Every refusal is `application/problem+json`: `{type, title, status, detail, code, instance,
errors: [{field, message}]}`. `code` is stable and names one status; `detail` is for people and
may say more than the title; `errors` names the offending fields (camelCase). A row the caller
may not see answers exactly like a missing one (404). Request bodies that do not match the
schema are `validation_error` (400) naming the fields.

| code | status | title | defined in |
|---|---|---|---|
"""


def render_errors() -> str:
    lines = [ERRORS_INTRO.rstrip("\n")]
    for code in sorted(errors.CATALOG):
        cls = errors.CATALOG[code]
        where = cls.__module__.removeprefix("sparkle.")
        lines.append(f"| `{code}` | {cls.status} | {cls.title} | `{where}.{cls.__name__}` |")
    return "\n".join(lines) + "\n"


RENDERERS = {"events": render_events, "errors": render_errors}

if __name__ == "__main__":
    # The generated document goes to stdout.
    print(RENDERERS[sys.argv[1] if len(sys.argv) > 1 else "events"](), end="")  # noqa: T201
