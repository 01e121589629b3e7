"""`sparkle mail-inbound` as a real process on loopback: it takes a mailed unsubscribe request
for a signed address, refuses everything else, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from sparkle.core import runtime
from sparkle.email import tokens
from sparkle.notifications import preferences
from tests.cli.test_cli import (  # noqa: F401  (fixtures)
    ADMIN_PASSWORD,
    Env,
    Invoke,
    database_url,
    env,
    migrated,
    run_async,
    settings_for,
    sparkle,
    users,
)
from tests.fixtures.smtp import free_port


def wait_for_smtp(port: int, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"mail-inbound exited: {proc.communicate()[0].decode()}")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
                smtp.noop()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("mail-inbound did not start")


async def digest_of(values: Env, user_id: object) -> str:
    rt = runtime.build(settings_for(values))
    try:
        async with rt.sessions() as session:
            return (await preferences.get_preferences(session, user_id)).digest  # type: ignore[arg-type]
    finally:
        await rt.close()


def test_unsubscribes_by_mail(sparkle: Invoke, env: Env, migrated: None, tmp_path: Path) -> None:  # noqa: F811
    result = sparkle(
        "create-admin",
        "--email",
        "ana@example.com",
        "--username",
        "ana",
        "--password",
        ADMIN_PASSWORD,
    )
    assert result.exit_code == 0, result.output
    [user] = run_async(users(env))
    address = tokens.unsubscribe_address(settings_for(env), user.id, "digest")
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if k not in env}
    child_env.update({k: v for k, v in env.items() if v is not None})
    proc = subprocess.Popen(
        [sys.executable, "-m", "sparkle.cli", "mail-inbound", "--port", str(port)],
        env=child_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_smtp(port, proc)
        message = EmailMessage()
        message["From"] = "ana@example.com"
        message["To"] = address
        message["Subject"] = "unsubscribe"
        message.set_content("unsubscribe")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                smtp.sendmail("ana@example.com", [f"someone@{address.partition('@')[2]}"], b"x")
            refused = smtp.sendmail("ana@example.com", [address], message.as_bytes())
        assert refused == {}
        assert run_async(digest_of(env, user.id)) == "off"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0].decode()
    assert proc.returncode == 0, output
    assert "mail-inbound ready: smtp 127.0.0.1" in output
    assert "Traceback" not in output
