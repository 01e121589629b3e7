"""Mail rendering, the outbox and SMTP transports, the `email.send` job and the outbox viewer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from sparkle.core import events, jobs, runtime
from sparkle.core.config import Settings
from sparkle.core.errors import SparkleError
from sparkle.core.mail import (
    MailDeliveryError,
    Mailer,
    MailError,
    MailMessage,
    MailRejected,
    OutboxTransport,
    SmtpTransport,
    list_outbox,
    parse_smtp_url,
    read_outbox,
)
from sparkle.email import pages
from sparkle.email.jobs import SendEmail
from tests.email.servers import DeferringServer, RefusingServer
from tests.fixtures.smtp import SmtpServer, free_port

BASE_URL = "https://sparkle.test"
VERIFY_URL = "https://sparkle.test/verify-email?token=abc123&next=%2Ffeed"
RESET_URL = "https://sparkle.test/reset-password?token=r3set"

SUBJECTS = {
    "welcome": "Welcome to Sparkle Universe! ✨",
    "verification": "Verify Your Email - Sparkle Universe",
    "password_reset": "Reset Your Password - Sparkle Universe",
}
CONTEXTS = {
    "welcome": {"username": "ann", "url": f"{BASE_URL}/u/ann"},
    "verification": {"username": "ann", "url": VERIFY_URL, "expires_hours": 24},
    "password_reset": {"username": "ann", "url": RESET_URL, "expires_hours": 1},
}


def outbox_mailer(directory: Path) -> Mailer:
    return Mailer(
        OutboxTransport(directory),
        sender="Sparkle Universe <no-reply@sparkle.test>",
        base_url=BASE_URL,
    )


def settings_for(data_dir: Path, **values: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, **{"SPARKLE_DATA_DIR": str(data_dir), "SMTP_URL": None, **values}
    )


class TestRender:
    @pytest.mark.parametrize("template", sorted(SUBJECTS))
    def test_subject_and_link(self, tmp_path: Path, template: str) -> None:
        context = CONTEXTS[template]
        rendered = outbox_mailer(tmp_path).render(template, context)

        assert rendered.subject == SUBJECTS[template]
        assert context["url"] in rendered.text.splitlines()
        assert f'href="{context["url"].replace("&", "&amp;")}"' in rendered.html
        assert f"<title>{SUBJECTS[template]}</title>" in rendered.html
        assert "linear-gradient(135deg,#8B5CF6 0%,#EC4899 100%)" in rendered.html

    def test_expiry_wording(self, tmp_path: Path) -> None:
        mailer = outbox_mailer(tmp_path)
        assert "expire in 24 hours" in mailer.render("verification", CONTEXTS["verification"]).text
        reset = mailer.render("password_reset", CONTEXTS["password_reset"])
        assert "expire in 1 hour." in reset.text

    def test_html_escapes_context(self, tmp_path: Path) -> None:
        context = {"username": "<script>alert(1)</script>", "url": VERIFY_URL}
        rendered = outbox_mailer(tmp_path).render("verification", context)

        assert "<script>" not in rendered.html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
        # The plain-text part is not HTML and is shown verbatim.
        assert "Hi <script>alert(1)</script>," in rendered.text

    def test_missing_link_is_an_error(self, tmp_path: Path) -> None:
        with pytest.raises(MailError, match="url"):
            outbox_mailer(tmp_path).render("verification", {"username": "ann"})

    @pytest.mark.parametrize("name", ["nope", "../email/base", "Welcome"])
    def test_unknown_template(self, tmp_path: Path, name: str) -> None:
        with pytest.raises(MailError):
            outbox_mailer(tmp_path).render(name, {})


class TestOutbox:
    async def test_writes_parseable_eml(self, tmp_path: Path) -> None:
        mailer = outbox_mailer(tmp_path)
        message_id = await mailer.send_template(
            "ann@example.com", "verification", CONTEXTS["verification"]
        )

        files = list(tmp_path.iterdir())
        assert len(files) == 1
        assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}\.eml", files[0].name)
        raw = files[0].read_bytes()
        assert b"\r\n" in raw
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert msg["Message-ID"] == message_id
        assert msg["To"] == "ann@example.com"
        assert msg["From"] == "Sparkle Universe <no-reply@sparkle.test>"
        assert msg["Subject"] == SUBJECTS["verification"]
        assert msg.get_content_type() == "multipart/alternative"
        parts = [part.get_content_type() for part in msg.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        assert VERIFY_URL in msg.get_body(("plain",)).get_content().splitlines()

    async def test_list_and_read(self, tmp_path: Path) -> None:
        mailer = outbox_mailer(tmp_path)
        await mailer.send_template("first@example.com", "welcome", CONTEXTS["welcome"])
        await mailer.send_template(
            "second@example.com", "password_reset", CONTEXTS["password_reset"]
        )

        mails = list_outbox(tmp_path)
        assert [m.to for m in mails] == ["second@example.com", "first@example.com"]
        latest = read_outbox(tmp_path, mails[0].name)
        assert latest is not None
        assert latest.subject == SUBJECTS["password_reset"]
        assert latest.date is not None and latest.date.tzinfo is not None
        assert RESET_URL in latest.links
        assert 'href="https://sparkle.test/reset-password?token=r3set"' in latest.html

    async def test_rejects_unsafe_names(self, tmp_path: Path) -> None:
        outside = tmp_path / "secret.eml"
        outside.write_text("Subject: secret\n\nno")
        box = tmp_path / "box"
        await outbox_mailer(box).send_template("a@example.com", "welcome", CONTEXTS["welcome"])

        for name in ["../secret.eml", "..", "/etc/passwd", ".hidden.eml", "x.txt", "nope.eml"]:
            assert read_outbox(box, name) is None
        assert read_outbox(tmp_path, "secret.eml") is not None

    async def test_two_mailers_do_not_interfere(self, tmp_path: Path) -> None:
        one, two = outbox_mailer(tmp_path / "one"), outbox_mailer(tmp_path / "two")
        await one.send_template("one@example.com", "welcome", CONTEXTS["welcome"])
        await two.send_template("two@example.com", "welcome", CONTEXTS["welcome"])
        await two.send_template("two@example.com", "verification", CONTEXTS["verification"])

        assert [m.to for m in list_outbox(tmp_path / "one")] == ["one@example.com"]
        assert [m.to for m in list_outbox(tmp_path / "two")] == ["two@example.com"] * 2

    def test_missing_directory_lists_nothing(self, tmp_path: Path) -> None:
        assert list_outbox(tmp_path / "absent") == []


class TestSmtp:
    async def test_delivers(self, smtp_server: SmtpServer) -> None:
        mailer = Mailer(SmtpTransport(smtp_server.url), sender="Sparkle <no-reply@sparkle.test>")
        await mailer.send_template("ann@example.com", "verification", CONTEXTS["verification"])

        assert len(smtp_server.received) == 1
        got = smtp_server.received[0]
        assert got.mail_from == "no-reply@sparkle.test"
        assert got.rcpt_tos == ["ann@example.com"]
        msg = got.message
        assert msg["Subject"] == SUBJECTS["verification"]
        assert msg["To"] == "ann@example.com"
        assert msg["X-Sparkle-Template"] == "verification"
        assert msg.get_content_type() == "multipart/alternative"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert VERIFY_URL in text.splitlines()
        assert VERIFY_URL.replace("&", "&amp;") in html

    async def test_send_plain_message(self, smtp_server: SmtpServer) -> None:
        mailer = Mailer(SmtpTransport(smtp_server.url))
        message = MailMessage(
            to="bo@example.com",
            subject="Hi ✨",
            html="<p>Hi</p>",
            text="Hi\n",
            headers={"X-Test": "1"},
        )
        message_id = await mailer.send(message)

        msg = smtp_server.received[0].message
        assert msg["Message-ID"] == message_id
        assert msg["Subject"] == "Hi ✨"
        assert msg["X-Test"] == "1"

    async def test_authenticates_with_url_credentials(self) -> None:
        server = SmtpServer(credentials=("sparkle", "p@ss,word")).start()
        try:
            url = f"smtp://sparkle:p%40ss%2Cword@127.0.0.1:{server.port}"
            await Mailer(SmtpTransport(url)).send_template(
                "ann@example.com", "welcome", CONTEXTS["welcome"]
            )
        finally:
            server.stop()
        assert server.logins == [("sparkle", "p@ss,word")]
        assert server.received[0].login == "sparkle"

    async def test_backup_used_when_primary_refuses(self, smtp_server: SmtpServer) -> None:
        closed = f"smtp://127.0.0.1:{free_port()}"
        settings = settings_for(Path("/nonexistent"), SMTP_URL=f"{closed}, {smtp_server.url}")
        mailer = Mailer.from_settings(settings)
        await mailer.send_template("ann@example.com", "password_reset", CONTEXTS["password_reset"])

        assert [r.rcpt_tos for r in smtp_server.received] == [["ann@example.com"]]
        assert smtp_server.received[0].message["Subject"] == SUBJECTS["password_reset"]

    async def test_fails_when_every_server_refuses(self) -> None:
        transport = SmtpTransport(
            f"smtp://127.0.0.1:{free_port()}", f"smtp://127.0.0.1:{free_port()}", timeout=5
        )
        with pytest.raises(MailDeliveryError):
            await Mailer(transport).send_template("a@example.com", "welcome", CONTEXTS["welcome"])


class TestConfiguration:
    @pytest.mark.parametrize(
        ("url", "port", "use_tls", "start_tls"),
        [
            ("smtp://mail.example.com", 25, False, False),
            ("smtp://mail.example.com:2525", 2525, False, False),
            ("smtps://mail.example.com", 465, True, False),
            ("smtp+starttls://mail.example.com", 587, False, True),
        ],
    )
    def test_parse(self, url: str, port: int, use_tls: bool, start_tls: bool) -> None:
        endpoint = parse_smtp_url(url)
        assert (endpoint.hostname, endpoint.port) == ("mail.example.com", port)
        assert (endpoint.use_tls, endpoint.start_tls) == (use_tls, start_tls)
        assert endpoint.username is None

    def test_credentials_never_printed(self) -> None:
        endpoint = parse_smtp_url("smtps://user%40x:s3cret@mail.example.com")
        assert (endpoint.username, endpoint.password) == ("user@x", "s3cret")
        assert "s3cret" not in str(endpoint) and "s3cret" not in repr(endpoint)

    @pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "mail.example.com"])
    def test_parse_rejects(self, url: str) -> None:
        with pytest.raises(ValueError):
            parse_smtp_url(url)

    def test_from_settings(self, tmp_path: Path) -> None:
        outbox = Mailer.from_settings(settings_for(tmp_path))
        assert isinstance(outbox.transport, OutboxTransport)
        assert outbox.transport.directory == tmp_path / "mail"

        smtp = Mailer.from_settings(settings_for(tmp_path, SMTP_URL="smtp://a:25,smtps://b"))
        assert isinstance(smtp.transport, SmtpTransport)
        assert [str(e) for e in smtp.transport.endpoints] == ["smtp://a:25", "smtps://b:465"]

        with pytest.raises(ValueError):
            Mailer.from_settings(settings_for(tmp_path, SMTP_URL="smtp://a,smtp://b,smtp://c"))


@pytest.fixture
async def outbox_runtime(tmp_path: Path) -> AsyncIterator[runtime.Runtime]:
    previous = runtime._current
    rt = runtime.install(runtime.build(settings_for(tmp_path / "data")))
    try:
        yield rt
    finally:
        runtime._current = previous
        await rt.close()


class TestSendJob:
    payload: ClassVar[dict[str, object]] = {
        "to": "ann@example.com",
        "template": "verification",
        "context": CONTEXTS["verification"],
    }

    async def test_sends_through_runtime_mailer(self, rt: runtime.Runtime) -> None:
        job = jobs.REGISTRY["email.send"]
        assert job.queue == "email"
        await job.handler(job.payload.model_validate(self.payload))

        [sent] = list_outbox(rt.settings.mail_dir)
        assert sent.to == "ann@example.com"
        assert VERIFY_URL in sent.links

    def test_enqueue_accepts_valid_payload(self) -> None:
        session = AsyncSession()
        events.enqueue(session, "email.send", self.payload)
        assert [j.name for j in session.info[events.BUFFER_KEY]] == ["email.send"]
        events.discard(session)

    @pytest.mark.parametrize(
        "change",
        [
            {"template": "digest"},
            {"to": "not-an-address"},
            {"to": "a@example.com\r\nBcc: b@example.com"},
            {"context": {"username": "ann"}},
            {"context": {"username": "ann", "url": "javascript:alert(1)"}},
            {"extra": 1},
        ],
    )
    def test_enqueue_rejects_invalid_payload(self, change: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            events.enqueue(AsyncSession(), "email.send", {**self.payload, **change})

    def test_welcome_needs_only_username(self) -> None:
        SendEmail.model_validate(
            {"to": "a@example.com", "template": "welcome", "context": {"username": "a"}}
        )


def viewer_app() -> FastAPI:
    app = FastAPI()
    app.state.runtime = runtime.get()
    app.include_router(pages.router)

    @app.exception_handler(SparkleError)
    async def problem(request: Request, exc: SparkleError) -> JSONResponse:
        return JSONResponse(exc.to_problem(), status_code=exc.status)

    return app


async def get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=viewer_app())
    # A loopback request: the viewer serves nobody else but administrators.
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(path)


class TestOutboxViewer:
    async def test_list_and_detail(self, outbox_runtime: runtime.Runtime) -> None:
        mailer = outbox_runtime.mailer
        await mailer.send_template("old@example.com", "welcome", CONTEXTS["welcome"])
        await mailer.send_template(
            "new@example.com", "verification", {**CONTEXTS["verification"], "username": "<b>x</b>"}
        )

        listing = await get("/dev/mail")
        assert listing.status_code == 200
        assert listing.text.index("new@example.com") < listing.text.index("old@example.com")
        assert SUBJECTS["verification"] in listing.text
        [newest, _] = list_outbox(outbox_runtime.settings.mail_dir)
        assert f'href="/dev/mail/{newest.name}"' in listing.text
        assert "<script" not in listing.text

        detail = await get(f"/dev/mail/{newest.name}")
        assert detail.status_code == 200
        assert "<pre" in detail.text and "Hi &lt;b&gt;x&lt;/b&gt;," in detail.text
        iframe = r'<iframe[^>]*sandbox="allow-popups[^"]*"[^>]*srcdoc="&lt;!DOCTYPE html'
        assert re.search(iframe, detail.text)
        assert VERIFY_URL.replace("&", "&amp;") in detail.text
        assert "<script" not in detail.text

        html = await get(f"/dev/mail/{newest.name}/html")
        assert html.status_code == 200
        assert "sandbox" in html.headers["content-security-policy"]
        assert html.text == newest.html

        raw = await get(f"/dev/mail/{newest.name}/raw")
        assert raw.status_code == 200 and "Message-ID:" in raw.text

    async def test_unknown_or_unsafe_names(self, outbox_runtime: runtime.Runtime) -> None:
        (outbox_runtime.settings.data_dir / "secret.eml").write_text("Subject: s\n\nsecret")
        for path in [
            "/dev/mail/nope.eml",
            "/dev/mail/..%2Fsecret.eml",
            "/dev/mail/..%2Fsecret.eml/raw",
            "/dev/mail/.hidden.eml/html",
        ]:
            assert (await get(path)).status_code == 404, path

    @pytest.mark.parametrize(
        "values",
        [
            {"SPARKLE_DEBUG_PAGES": False},
            {"SPARKLE_ENV": "production"},
            {"SPARKLE_ENV": "production", "SPARKLE_DEBUG_PAGES": True},
        ],
    )
    async def test_hidden_when_debug_pages_off(
        self, outbox_runtime: runtime.Runtime, tmp_path: Path, values: dict[str, object]
    ) -> None:
        await outbox_runtime.mailer.send_template("a@example.com", "welcome", CONTEXTS["welcome"])
        name = list_outbox(outbox_runtime.settings.mail_dir)[0].name
        outbox_runtime.settings = settings_for(tmp_path / "data", **values)

        for path in ["/dev/mail", f"/dev/mail/{name}", f"/dev/mail/{name}/html"]:
            assert (await get(path)).status_code == 404, path


class TestFailover:
    async def test_backup_url_setting(self, tmp_path: Path, smtp_server: SmtpServer) -> None:
        closed = f"smtp://127.0.0.1:{free_port()}"
        settings = settings_for(tmp_path, SMTP_URL=closed, SMTP_BACKUP_URL=smtp_server.url)
        mailer = Mailer.from_settings(settings)
        assert isinstance(mailer.transport, SmtpTransport)
        assert len(mailer.transport.endpoints) == 2

        await mailer.send_template("ann@example.com", "welcome", CONTEXTS["welcome"])
        assert [r.rcpt_tos for r in smtp_server.received] == [["ann@example.com"]]

    def test_two_backups_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError):
            Mailer.from_settings(
                settings_for(tmp_path, SMTP_URL="smtp://a,smtp://b", SMTP_BACKUP_URL="smtp://c")
            )

    async def test_backup_takes_over_a_temporary_failure(self, smtp_server: SmtpServer) -> None:
        deferring = DeferringServer().start()
        try:
            mailer = Mailer(SmtpTransport(deferring.url, smtp_server.url))
            await mailer.send_template("ann@example.com", "welcome", CONTEXTS["welcome"])
        finally:
            deferring.stop()
        assert deferring.received == []
        assert [r.rcpt_tos for r in smtp_server.received] == [["ann@example.com"]]

    async def test_permanent_refusal_is_final(self, smtp_server: SmtpServer) -> None:
        refusing = RefusingServer().start()
        try:
            mailer = Mailer(SmtpTransport(refusing.url, smtp_server.url))
            with pytest.raises(MailRejected, match="550"):
                await mailer.send_template("ghost@example.com", "welcome", CONTEXTS["welcome"])
        finally:
            refusing.stop()
        assert smtp_server.received == []

    async def test_temporary_refusal_fails_over(self, smtp_server: SmtpServer) -> None:
        refusing = RefusingServer(rcpt_reply="450 4.2.0 Mailbox busy").start()
        try:
            mailer = Mailer(SmtpTransport(refusing.url, smtp_server.url))
            await mailer.send_template("ann@example.com", "welcome", CONTEXTS["welcome"])
        finally:
            refusing.stop()
        assert len(smtp_server.received) == 1

    def test_accent_must_be_a_colour(self, tmp_path: Path) -> None:
        mailer = outbox_mailer(tmp_path)
        evil = mailer.render("welcome", {**CONTEXTS["welcome"], "accent": 'red;"><script>'})
        assert "<script>" not in evil.html and "background-color:#8B5CF6" in evil.html
        mine = mailer.render("welcome", {**CONTEXTS["welcome"], "accent": "#12ab34"})
        assert "background-color:#12ab34" in mine.html
