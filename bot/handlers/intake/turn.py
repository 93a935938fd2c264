"""One update of the intake being handled, and the keys the intake keeps in bot state."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ConversationHandler

from bot.context import AppContext
from bot.domain import callbacks
from bot.domain.intake import Action, Draft, Step
from bot.handlers.common import Button, answer_query, clear_buttons, send

CONVERSATION = "intake"
END = ConversationHandler.END
DRAFT = "draft"
#: user_data: {draft token: case reference} of the last drafts sent, so that a press of a sent
#: draft's button (a double press, a press repeated after a refused answer) names its case.
#: It lives in the same user_data row as the draft, so the two are persisted together.
SENT = "sent"
SENT_KEPT = 5
#: user_data: the resident was told, outside a flow, that edited messages are not read.
EDITS_NOTED = "edits_noted"
#: user_data: the token of the draft the hourly limit was explained for, in a message; a
#: press of its "Skicka" again while the limit holds gets a short answer, not that message again.
LIMIT_TOLD = "limit_told"
#: chat_data: the album (media group) last answered outside a flow; its other photos, each
#: a message of its own, get no answer of their own.
ALBUM_ANSWERED = "album_answered"
#: Seconds after an album's last photo before the album is answered (Telegram sends an album
#: as one message per photo, close together, and never says how many there are).
ALBUM_WAIT = 1.0

#: What a step expects, said when something else arrives (a photo where a name is asked, a
#: location at the description, ...); steps with buttons to choose from are not listed.
EXPECTS = {
    Step.STATION: "expect.station",
    Step.PLACE: "expect.place",
    Step.DESCRIPTION: "error.expected_text",
    Step.IDEA_TEXT: "error.expected_text",
    Step.PHOTOS: "expect.photos",
    Step.IDEA_PHOTO: "expect.photos",
}

#: The catalog key naming each editable step in the summary and the edit menu.
FIELD_KEYS = {
    Step.STATION: "field.station",
    Step.CATEGORY: "field.category",
    Step.PLACE: "field.place",
    Step.TIMES: "field.times",
    Step.DESCRIPTION: "field.description",
    Step.PHOTOS: "field.photos",
    Step.IDEA_TEXT: "field.idea",
    Step.IDEA_PHOTO: "field.photos",
}


class Turn:
    """One update being handled: the services, the resident's language and the draft."""

    def __init__(self, update: Update, context: AppContext, lang: str, draft: Draft) -> None:
        self.update = update
        self.context = context
        self.services = context.services
        self.lang = lang
        self.draft = draft

    def t(self, key: str, **params: object) -> str:
        return self.services.text(self.lang, key, **params)

    def cb(self, action: Action, arg: str = "") -> str:
        return callbacks.encode(self.draft.token, action, arg)

    def nav(self, back: bool = True) -> list[Button]:
        row = [(self.t("nav.back"), self.cb(Action.BACK))] if back else []
        return [*row, (self.t("nav.cancel"), self.cb(Action.CANCEL))]

    @property
    def step(self) -> Step:
        """The flow's one state: the step stored in the draft."""
        return Step(self.draft.step)

    def save(self) -> None:
        assert self.context.user_data is not None
        self.context.user_data[DRAFT] = self.draft.to_dict()

    async def say(self, text: str, markup: object | None = None) -> Message:
        return await send(self.update, self.context, text, markup)

    async def taken(self) -> None:
        """The pressed button is acted on: answer the press and remove the prompt's buttons."""
        if self.update.callback_query is not None:
            await answer_query(self.update.callback_query)
        await clear_buttons(self.update)

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        assert chat is not None
        return chat.id

    @property
    def station_name(self) -> str:
        station = self.services.station(self.draft.station)
        return station.name if station else ""
