"""The monthly lägesbild to admins: from the first working day of each month (bot.domain.
workdays), each admin gets last month's lägesbild of their stations in Telegram, one PDF per
kommun among them (a national admin: every station), with a caption in their language.

The job runs every morning and shortly after each start: on any day from the month's first
working day it sends what is not sent yet, so a bot that was down that morning sends it later,
and an admin added during the month gets last month's. Each is queued through the outbox as a
document and recorded with its row in one transaction (storage.lagesbild_sent), so a restart or
a second run sends nothing twice. Only admins get it, each only for their own stations.

An admin the bot cannot reach in Telegram (no Telegram id, or known unreachable: storage.staff.
unreachable) gets it by e-mail, attached, when they have an address and e-mail is configured;
otherwise they are left out (they can read it on the web page /lagesbild). One who never
opened the bot is found when the send is refused, and bot.services.refusals tells the other
admins and the ops chat, as for any staff member; the next run forgets those documents
(LagesbildSentRepository.forget_dead) and sends them again: by e-mail, or in Telegram once
they have opened the bot. Runs never overlap (a lock: one LagesbildMail serves both jobs).

The PDF files are temporary: each is deleted once Telegram or the mail server has it, and the
daily purge (`forget_files`) deletes any left (a send that failed for good) after KEEP_DAYS.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from bot.delivery.messages import Document, Email, item
from bot.domain.access import is_national
from bot.domain.deployment import Deployment, Role
from bot.domain.models import Staff
from bot.domain.staff_language import staff_language
from bot.domain.trygghet import add_months, month_of
from bot.domain.workdays import first_workday
from bot.i18n import Catalogs, month_name
from bot.services.lagesbild import Lagesbild, Lagesbilder, Scope
from storage.lagesbild_sent import LagesbildSentRepository
from storage.staff import StaffRepository

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

#: Where the PDFs are written, under the media directory.
FOLDER = "lagesbild"
#: Days a PDF no pending message refers to is kept before the daily purge deletes it.
KEEP_DAYS = 7


def kommun_areas(deployment: Deployment, stations: Collection[str] | None) -> list[Scope]:
    """One area per kommun among these stations (None: every station), holding only these
    stations of it, in the deployment file's order."""
    areas: dict[str, list[str]] = {}
    for station in deployment.stations:
        if stations is None or station.id in stations:
            areas.setdefault(station.kommun, []).append(station.id)
    return [Scope("kommun", kommun, tuple(ids)) for kommun, ids in areas.items()]


def admin_areas(deployment: Deployment, member: Staff) -> list[Scope]:
    """The areas of the monthly lägesbild an admin gets; none for anyone else."""
    if member.role != Role.ADMIN:
        return []
    return kommun_areas(deployment, None if is_national(member) else member.stations)


def area_key(scope: Scope) -> str:
    """How a sent lägesbild's area is recorded: its kind, name and stations."""
    return f"{scope.kind}:{scope.name}:{','.join(scope.stations)}"


def file_slug(name: str) -> str:
    """A file-name part of a name: 'Järfälla' -> 'jarfalla'."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "omrade"


def file_path(month: str, member: Staff, scope: Scope) -> str:
    """Where a lägesbild is written, under the media directory: unique per month, admin and
    area, also for kommun names that read alike in a file name ('Håbo', 'Habo')."""
    digest = hashlib.sha256(area_key(scope).encode()).hexdigest()[:8]
    return f"{FOLDER}/{month}-{member.id}-{file_slug(scope.name)}-{digest}.pdf"


def last_month(today: dt.date) -> str:
    return add_months(month_of(today), -1)


class LagesbildMail:
    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs,
        staff: StaffRepository,
        lagesbilder: Lagesbilder,
        sent: LagesbildSentRepository,
        media_dir: Path,
        wake: Callable[[], None],
        *,
        email: bool = False,
    ) -> None:
        self._deployment = deployment
        self._catalogs = catalogs
        self._staff = staff
        self._lagesbilder = lagesbilder
        self._sent = sent
        self._media_dir = media_dir
        self._wake = wake
        self._email = email
        # The morning's run and the one after a start may overlap: one at a time.
        self._lock = asyncio.Lock()

    @classmethod
    def of(cls, services: Services) -> LagesbildMail:
        return cls(
            services.deployment,
            services.catalogs,
            services.staff,
            services.lagesbild,
            LagesbildSentRepository(services.db),
            services.settings.media_dir,
            services.wake,
            email=services.settings.smtp_host is not None,
        )

    async def run(self, today: dt.date) -> int:
        """From the month's first working day on: queue last month's lägesbild to every admin
        not yet sent it; the number queued (0 before that day, and once all are sent)."""
        if today < first_workday(today.year, today.month):
            return 0
        async with self._lock:
            return await self._run(last_month(today))

    async def _run(self, month: str) -> int:
        # A document whose chat turned out unreachable was not sent: send it again (by e-mail
        # if they have an address, in Telegram once they open the bot).
        forgotten = await self._sent.forget_dead(month)
        if forgotten:
            log.info(
                "Lägesbild %s: %d documents to unreachable chats to send again", month, forgotten
            )
        unreachable = await self._staff.unreachable()
        built: dict[Scope, Lagesbild] = {}
        queued = 0
        for member in await self._staff.active():
            areas = admin_areas(self._deployment, member)
            if not areas:
                continue
            chat = member.telegram_id if member.telegram_id not in unreachable else None
            if chat is None and not (member.email and self._email):
                log.info("Lägesbild %s: admin (staff id %d) cannot be reached", month, member.id)
                continue
            done = await self._sent.sent(month, member.id)
            for scope in areas:
                if area_key(scope) in done:
                    continue
                if scope not in built:
                    built[scope] = await self._lagesbilder.build(scope, month)
                queued += await self._queue(member, chat, built[scope])
        if queued:
            self._wake()
        log.info("Lägesbild %s queued to admins: %d documents", month, queued)
        return queued

    async def _queue(self, member: Staff, chat_id: int | None, report: Lagesbild) -> int:
        """Queue one lägesbild: in Telegram to `chat_id`, or else by e-mail."""
        lang = staff_language(self._deployment, member)
        pdf = await asyncio.to_thread(self._lagesbilder.pdf, report, lang)  # off the loop
        path = file_path(report.month, member, report.scope)
        filename = f"lagesbild-{file_slug(report.scope.name)}-{report.month}.pdf"
        target = self._media_dir / path
        await asyncio.to_thread(_write, target, pdf)
        month = month_name(report.start, lang)
        caption = self._catalogs.text(
            lang, "lagesbild.send.caption", area=report.scope.name, month=month
        )
        message: Document | Email
        if chat_id is not None:
            message = Document(chat_id, path, filename, caption, temporary=True)
        else:
            assert member.email is not None  # run() sends by e-mail only to an address
            subject = self._catalogs.text(
                lang,
                "lagesbild.send.subject",
                area=report.scope.name,
                month=month,
            )
            message = Email(member.email, subject, caption, (path,), True, (filename,))
        area = area_key(report.scope)
        # Marked, so that a document to a chat that proves unreachable is forgotten.
        row = item(message, lagesbild={"month": report.month, "staff": member.id, "area": area})
        if await self._sent.send(report.month, member.id, area, row):
            return 1
        return 0


async def forget_files(sent: LagesbildSentRepository, media_dir: Path, now: dt.datetime) -> int:
    """Delete the lägesbild PDFs older than KEEP_DAYS that no pending message is still to
    send (a send that failed for good leaves its file); the number deleted."""
    pending = await sent.pending_files()
    before = (now - dt.timedelta(days=KEEP_DAYS)).timestamp()
    return await asyncio.to_thread(_forget, media_dir, pending, before)


def _forget(media_dir: Path, pending: set[str], before: float) -> int:
    folder = media_dir / FOLDER
    if not folder.is_dir():
        return 0
    gone = 0
    for file in folder.iterdir():
        if f"{FOLDER}/{file.name}" in pending or not file.is_file():
            continue
        if file.stat().st_mtime < before:
            file.unlink(missing_ok=True)
            gone += 1
    return gone


def _write(target: Path, content: bytes) -> None:
    """Write the file whole or not at all: a temporary file beside it, then renamed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
