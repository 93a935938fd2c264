"""Promises and updates: current state, following stations, publishing, monthly digests."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.delivery.messages import BROADCAST
from bot.domain.access import StaffLike, may_report_on
from bot.domain.deployment import Commitment, CommitmentStatus, Deployment, Promise
from bot.domain.paging import own_first
from bot.domain.promises import (
    DEFAULT_PROGRESS,
    CommitmentState,
    Localized,
    Timeline,
    commitment_in,
    has_ended,
    month_bounds,
    running_during,
    small_count,
    timeline,
    today_in,
)
from bot.domain.text import check_fits, in_messages
from bot.i18n import Catalogs, Percent, Safe, month_name
from bot.services.wake import Wake
from storage.outbox import OutboxItem
from storage.promises import PromiseRepository, Update
from storage.residents import ResidentRepository
from storage.staff import Staff

log = logging.getLogger(__name__)


__all__ = ["AlreadyPublished", "Choice", "PromiseEnded", "Update", "Updates"]


class AlreadyPublished(Exception):
    """This pending update was published before: nothing was stored or sent again."""


class PromiseEnded(Exception):
    """The commitment's promise has ended: no update is published on it (nothing was stored
    or sent). Its outcome is what the commitments' last statuses say."""

    def __init__(self, promise: Promise) -> None:
        super().__init__(promise.id)
        self.promise = promise


@dataclass(frozen=True)
class Choice:
    """A commitment a staff member may update, with the promise it belongs to."""

    promise: Promise
    commitment: Commitment


def choices_for(deployment: Deployment, member: StaffLike) -> list[Choice]:
    """Commitments of the promises at the member's stations that they may report on: their
    own actor's, or every one for the kommunpolis and admins. A list of more than a page has
    their own actor's first (`Updates.own`), so that an admin of many finds theirs on the
    first page; one that fits a page keeps the file's order (`paging.own_first`). Ended
    promises are in the list too, so that a position keeps its commitment when a promise
    ends; /uppdatera shows only the open ones (`Updates.is_open`).

    The /uppdatera buttons carry a position in this list (`u:c:N`): it is the same list
    while the deployment file is, and a restart with another file (a commitment added, or a
    list that outgrew a page) may give an old list's button another commitment. The status
    step names the commitment chosen, so the member sees which one they are updating."""
    found = [
        Choice(promise, commitment)
        for promise in deployment.promises
        for commitment in promise.commitments
        if may_report_on(member, promise.stations, commitment.owners)
    ]
    own, others = own_first(found, lambda choice: Updates.own(member, choice))
    return own + others


class Updates:
    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs,
        promises: PromiseRepository,
        residents: ResidentRepository,
        wake: Wake | None = None,
    ) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.promises = promises
        self.residents = residents
        self.zone = ZoneInfo(deployment.deployment.timezone)
        #: Called after outbox rows are committed (the worker's wake-up).
        self.on_enqueue = wake or Wake()

    def _lang(self, language: str | None) -> str:
        return self.catalogs.stored_or(language, self.deployment.deployment.default_language)

    # ------------------------------------------------------------------ following
    async def follow(self, chat_id: int, station_id: str, language: str | None = None) -> bool:
        """Follow a station. `language`, the one the resident is answered in, is kept when
        they have not chosen one, so that the station's updates reach them in it."""
        resident = await self.residents.touch(chat_id, language)
        if language is not None and resident.language is None:
            await self.residents.assume_language(resident.id, language)
        return await self.promises.follow(resident.id, station_id)

    async def unfollow(self, chat_id: int, station_id: str) -> bool:
        resident = await self.residents.get_by_chat(chat_id)
        if resident is None:
            return False
        return await self.promises.unfollow(resident.id, station_id)

    async def followed(self, chat_id: int) -> list[str]:
        resident = await self.residents.get_by_chat(chat_id)
        return await self.promises.followed(resident.id) if resident else []

    # ------------------------------------------------------------------ promises in time
    def today(self) -> dt.date:
        """Today in the deployment's time zone: a promise runs to the end of its last day."""
        return today_in(self.zone)

    def local_date(self, stored: str) -> dt.date:
        """A stored UTC time's date in the deployment's time zone (00:30 on 1 Nov, local, is
        still 31 Oct in UTC)."""
        return dt.datetime.fromisoformat(stored).astimezone(self.zone).date()

    def timeline(self, station_id: str) -> Timeline:
        """The station's promises today: current, next, ended."""
        return timeline(self.deployment.directory.promises_at(station_id), self.today())

    def is_open(self, choice: Choice) -> bool:
        """Whether updates may be published on the choice: its promise has not ended."""
        return not has_ended(choice.promise, self.today())

    def _refuse_ended(self, choice: Choice) -> None:
        if not self.is_open(choice):
            raise PromiseEnded(choice.promise)

    def text_in(self, lang: str, value: Localized) -> str:
        """A promise's text for a message in `lang`: the Swedish marked "(på svenska)" in
        `lang` when there is no translation (a Safe string: it holds the mark's HTML)."""
        if not value.swedish:
            return value.text
        return Safe(self.catalogs.text(lang, "promise.in_swedish", text=value.text))

    # ------------------------------------------------------------------ the state of promises
    async def progress(self) -> tuple[dict[str, CommitmentState], dict[str, Update]]:
        """What residents see of the promises: each commitment's current state (when it was
        ever updated) and its latest update, both by commitment id."""
        return await self.promises.states(), await self.promises.latest_updates()

    # ------------------------------------------------------------------ staff updates
    def choices(self, member: Staff) -> list[Choice]:
        """The commitments the member may update (`choices_for`)."""
        return choices_for(self.deployment, member)

    @staticmethod
    def own(member: StaffLike, choice: Choice) -> bool:
        """A commitment of the member's own actor."""
        return member.actor_id in choice.commitment.owners

    def station_names(self, choice: Choice) -> list[str]:
        ids = choice.commitment.stations or choice.promise.stations
        return [self.deployment.station(s).name for s in ids]

    def render_general(
        self, lang: str, choice: Choice, status: CommitmentStatus, percent: int, text: str
    ) -> str:
        t = self.catalogs.text
        return t(
            lang,
            "broadcast.general",
            station=", ".join(self.station_names(choice)),
            commitment=self.text_in(lang, commitment_in(choice.commitment, lang)),
            status=t(lang, f"commitment.{status.value}"),
            percent=Percent(percent),
            text=text,
        )

    def render_personal(
        self, lang: str, choice: Choice, status: CommitmentStatus, reference: str, text: str
    ) -> str:
        t = self.catalogs.text
        return t(
            lang,
            "broadcast.personal",
            reference=reference,
            commitment=self.text_in(lang, commitment_in(choice.commitment, lang)),
            status=t(lang, f"commitment.{status.value}"),
            text=text,
        )

    def render_preview(
        self, lang: str, choice: Choice, status: CommitmentStatus, percent: int, text: str
    ) -> str:
        """What the staff member sees before publishing: the update as followers get it."""
        general = self.render_general(lang, choice, status, percent, text)
        return self.catalogs.text(lang, "update.preview", preview=Safe(general))

    async def check_text(
        self, choice: Choice, status: CommitmentStatus | None, text: str, staff_lang: str
    ) -> None:
        """TooLong unless the update fits one message in every language it may be sent in: to
        followers, to the residents whose cases are linked, and as the staff's preview.
        PromiseEnded when the commitment's promise has ended."""
        self._refuse_ended(choice)
        new_status, percent = await self.outcome_of(choice, status)
        linked = await self.promises.linked_reporters(choice.commitment.id)
        references = {reference for _, _, reference in linked}
        messages = [self.render_preview(staff_lang, choice, new_status, percent, text)]
        for lang in self.catalogs.languages:
            messages.append(self.render_general(lang, choice, new_status, percent, text))
            messages += [
                self.render_personal(lang, choice, new_status, r, text) for r in references
            ]
        check_fits(messages)

    async def outcome_of(
        self, choice: Choice, status: CommitmentStatus | None
    ) -> tuple[CommitmentStatus, int]:
        """The commitment's status and progress after an update: a new status sets its default
        progress; no new status keeps the current state (or the deployment file's)."""
        current = (await self.promises.states()).get(choice.commitment.id)
        if status is not None:
            return status, DEFAULT_PROGRESS[status]
        if current is not None:
            return current.status, current.progress
        return choice.commitment.status, DEFAULT_PROGRESS[choice.commitment.status]

    async def publish(
        self,
        member: Staff,
        choice: Choice,
        status: CommitmentStatus | None,
        text: str,
        photo: str | None,
        token: str | None = None,
    ) -> int:
        """Store the update and queue it for every follower; returns the number of chats.
        TooLong, with nothing stored or sent, when a message would be over Telegram's limit.

        With the pending update's token, idempotent: AlreadyPublished, with nothing stored or
        sent, when an update with this token was published before (a press Telegram delivers
        again after a crash, from a pending update persisted before it was published).

        PromiseEnded, with nothing stored or sent, when the commitment's promise has ended."""
        self._refuse_ended(choice)
        new_status, percent = await self.outcome_of(choice, status)
        items: list[OutboxItem] = []
        personal = await self.promises.linked_reporters(choice.commitment.id)
        reached: set[int] = set()
        for chat_id, language, reference in personal:
            if chat_id in reached:
                continue
            body = self.render_personal(self._lang(language), choice, new_status, reference, text)
            items += self._message(chat_id, body, photo)
            reached.add(chat_id)
        stations = list(choice.commitment.stations or choice.promise.stations)
        for chat_id, language in await self.promises.followers(stations):
            if chat_id in reached:
                continue
            body = self.render_general(self._lang(language), choice, new_status, percent, text)
            items += self._message(chat_id, body, photo, {BROADCAST: True})
            reached.add(chat_id)
        check_fits(i.payload["text"] for i in items if i.kind == "text")
        stored = await self.promises.publish(
            choice.commitment.id,
            status,
            percent if status else None,
            text,
            photo,
            member.actor_id,
            member.id,
            items,
            token,
        )
        if not stored:
            log.info("Update %s on %s was published before", token, choice.commitment.id)
            raise AlreadyPublished
        self.on_enqueue()
        return len(reached)

    @staticmethod
    def _message(
        chat_id: int, body: str, photo: str | None, flags: dict[str, object] | None = None
    ) -> list[OutboxItem]:
        """The update's rows for one chat; `flags` ({BROADCAST: True} for a follower's: it
        waits for the send slots that cards and replies leave) go into each payload."""
        items = [OutboxItem("telegram", str(chat_id), "text", {"text": body, **(flags or {})})]
        if photo:
            items.append(
                OutboxItem("telegram", str(chat_id), "photo", {"path": photo, **(flags or {})})
            )
        return items

    # ------------------------------------------------------------------ digest
    async def digest(self, station_id: str, month: str) -> int:
        """'You said, we did' for one station and month, to its followers. Returns chats."""
        station = self.deployment.station(station_id)
        start, end = month_bounds(month)
        start_iso, end_iso = self._utc(start), self._utc(end)
        counts = await self.promises.reports_by_category(station_id, start_iso, end_iso)
        # The promise (or two, at a change) that ran at the station during the month.
        running = running_during(self.deployment.directory.promises_at(station_id), start, end)
        commitments = {
            c.id: c
            for p in running
            for c in p.commitments
            if not c.stations or station_id in c.stations
        }
        changes = [
            u
            for u in await self.promises.updates_between(start_iso, end_iso)
            if u.commitment_id in commitments
        ]
        followers = await self.promises.followers([station_id])
        items = []
        for chat_id, language in followers:
            lang = self._lang(language)
            items += [
                OutboxItem("telegram", str(chat_id), "text", {"text": text, BROADCAST: True})
                for text in self.render_digest(
                    lang, station.name, month, counts, changes, commitments
                )
            ]
        if items:
            await self.promises.enqueue(items)
            self.on_enqueue()
        return len(followers)

    def render_digest(
        self,
        lang: str,
        station: str,
        month: str,
        counts: dict[str, int],
        changes: list[Update],
        commitments: Mapping[str, Commitment],
    ) -> list[str]:
        """The digest's messages: one, or several when the month's updates (staff text) are
        more than one message holds."""
        t = self.catalogs.text
        lines = [
            t(lang, "digest.title", station=station, month=month_name(month_bounds(month)[0], lang))
        ]
        if counts:
            lines.append(t(lang, "digest.reports"))
            for category, count in sorted(counts.items()):
                shown = small_count(count)
                name = (
                    t(lang, "digest.idea") if category == "idea" else self._category(category, lang)
                )
                lines.append(
                    t(
                        lang,
                        "digest.item",
                        category=name,
                        count=shown if shown is not None else Safe(t(lang, "digest.few")),
                    )
                )
        else:
            lines.append(t(lang, "digest.no_reports"))
        lines.append("")
        if changes:
            lines.append(t(lang, "digest.changes"))
            for change in changes:
                lines.append(
                    t(
                        lang,
                        "digest.change",
                        commitment=self.text_in(
                            lang, commitment_in(commitments[change.commitment_id], lang)
                        ),
                        text=change.text,
                    )
                )
        else:
            lines.append(t(lang, "digest.no_changes"))
        return in_messages(lines)

    def _utc(self, day: dt.date) -> str:
        """Local midnight of `day` as stored timestamps are written: ISO in UTC."""
        local = dt.datetime.combine(day, dt.time(), self.zone)
        return local.astimezone(dt.UTC).isoformat(timespec="seconds")

    def _category(self, category_id: str, lang: str) -> str:
        return self.deployment.category_label(category_id, lang) or category_id
