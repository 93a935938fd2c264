"""E-mail to staff over SMTP (aiosmtplib)."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from bot.settings import Settings


class Mailer:
    """Sends one message per call; configuration comes from the TRYGG_SMTP_* settings."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def enabled(self) -> bool:
        return self._settings.smtp_host is not None

    async def send(
        self,
        to: str,
        subject: str,
        body: str,
        attachments: Sequence[Path] = (),
        names: Sequence[str] = (),
    ) -> None:
        """`names`: the attachments' file names as the reader sees them, one per attachment."""
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        for path, name in zip(attachments, names, strict=True):
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            main, sub = mime.split("/", 1)
            message.add_attachment(path.read_bytes(), maintype=main, subtype=sub, filename=name)
        async with self._client(timeout=30) as client:
            await client.send_message(message)

    async def probe(self, timeout: float) -> str:
        """Connect, EHLO, log in if a user is set, QUIT; no mail is sent. Returns a summary."""
        s = self._settings
        async with self._client(timeout) as client:
            await client.ehlo()
        login = f"logged in as {s.smtp_user}" if s.smtp_user else "no login"
        return f"{s.smtp_host}:{s.smtp_port} ({s.smtp_tls}), EHLO ok, {login}"

    def _client(self, timeout: float) -> aiosmtplib.SMTP:
        """A client for the configured server; `async with` connects (TLS, login) and quits."""
        s = self._settings
        assert s.smtp_host is not None
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            username=s.smtp_user,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=timeout,
        )
