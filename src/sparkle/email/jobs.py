"""The `email.send` job: render one template and hand it to the runtime's mailer."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from sparkle.core import runtime
from sparkle.core.jobs import job

Template = Literal["welcome", "verification", "password_reset"]
TEMPLATES: tuple[str, ...] = get_args(Template)

# Context keys each template cannot do without; checked when the job is enqueued, so a
# caller's mistake fails its request instead of a background job.
REQUIRED_CONTEXT: dict[str, frozenset[str]] = {
    "welcome": frozenset({"username"}),
    "verification": frozenset({"username", "url"}),
    "password_reset": frozenset({"url"}),
}

# One bare address (no display name, no list): enough to keep header injection and typos out.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")


def _check_address(value: str) -> str:
    value = value.strip()
    if len(value) > 320 or not _ADDRESS.match(value):
        raise ValueError("not an email address")
    return value


Address = Annotated[str, AfterValidator(_check_address)]


class SendEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Address
    template: Template
    context: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _required_context(self) -> SendEmail:
        missing = sorted(REQUIRED_CONTEXT[self.template] - self.context.keys())
        if missing:
            raise ValueError(f"context for {self.template!r} lacks {', '.join(missing)}")
        url = self.context.get("url")
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://", url)):
            raise ValueError("context url must be an http(s) URL")
        return self


@job("email.send", queue="email", payload=SendEmail)
async def send(payload: SendEmail) -> None:
    await runtime.get().mailer.send_template(payload.to, payload.template, payload.context)
