"""E-mail to staff over SMTP (aiosmtplib)."""

from __future__ import annotations

import mimetypes
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
        self, to: str, subject: str, body: str, attachments: list[Path] | None = None
    ) -> None:
        s = self._settings
        assert s.smtp_host is not None
        message = EmailMessage()
        message["From"] = s.smtp_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        for path in attachments or []:
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            main, sub = mime.split("/", 1)
            message.add_attachment(
                path.read_bytes(), maintype=main, subtype=sub, filename=path.name
            )
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            username=s.smtp_user,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=30,
        )
