"""Fixtures of the email tests: a real SMTP server on loopback."""

from tests.fixtures.smtp import smtp_server  # noqa: F401
