"""SMTP servers that misbehave on purpose: refuse recipients or defer every message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fixtures.smtp import SmtpServer


@dataclass
class RefusingServer(SmtpServer):
    """Answers RCPT with `rcpt_reply` (a 5xx refuses the address for good, a 4xx defers)."""

    rcpt_reply: str = "550 5.1.1 No such user"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        return self.rcpt_reply


@dataclass
class DeferringServer(SmtpServer):
    """Takes the envelope, then answers DATA with a temporary failure."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "451 4.3.0 Try again later"
