"""Issue 20 item 3: the case page of the dashboard. An officer signed in on the web (the real
aiohttp app over the bot's services) sees a case and its timeline and takes the case card's
actions as forms; the resident hears of each in the emulator exactly as from the card's
buttons in Telegram. Another station's officer, a partner elsewhere, a forged reference or
action get the unknown-case page; a missing CSRF token 403; an action the status does not
allow, bad input: the bot's one line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.models import Message
from bot.i18n import Catalogs
from bot.services.case_view import Said
from bot.settings import Settings
from bot.web.case import SAID_LIMIT, Lines
from tests.browser import axe_violations
from tests.people import Person, db_rows
from tests.test_desk import report
from tests.web import (
    WEB_URL,
    Client,
    Clock,
    browser_sign_in,
    live_site,
    sign_in_as,
    staff_person,
    web_and_bot,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

RESIDENT = 1001
POLIS_JKB, KOMMUN_JKB, POLIS_STK, VASTTRAFIK = 100000001, 100000002, 100000003, 100000004
OFFICER_ACTOR = "Lokalpolisområde Järfälla"


def csrf_of(body: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found, body
    return found.group(1)


async def signed_in_as(client: Client, person: Person) -> str:
    """Sign `person` in on `client` (a new session); the CSRF token of their forms."""
    await sign_in_as(client, person)
    return csrf_of(await (await client.get("/")).text())


def card(officer: Person, reference: str) -> Message:
    """The officer's newest card of the case (its first line names the reference)."""
    for message in reversed(officer.world.received(officer.id)):
        if message.inline_buttons and reference in message.text.split("\n", 1)[0]:
            return message
    raise AssertionError(f"no card of {reference}")


def data_of(message: Message, label: str) -> str:
    return str(next(b["callback_data"] for b in message.inline_buttons if label in b["text"]))


def relabelled(text: str, reference: str) -> str:
    return text.replace(reference, "REF")


async def test_acknowledge_on_the_web_tells_the_resident_as_the_button_does(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    world = emulator.world
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    staff_person(emulator, KOMMUN_JKB, catalogs)
    resident = Person(world, RESIDENT, catalogs)
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        assert "JKB-0001" in await report(resident)
        assert "JKB-0002" in await report(resident)
        await world.wait_for(POLIS_JKB, lambda m: "JKB-0002" in m.text and bool(m.inline_buttons))
        # JKB-0001 by the card's button in Telegram, JKB-0002 from the web page.
        await officer.press(
            card(officer, "JKB-0001"), data_of(card(officer, "JKB-0001"), "Kvittera")
        )
        by_button = await world.wait_for(RESIDENT, lambda m: "JKB-0001 är läst" in m.text)
        csrf = await signed_in_as(client, officer)

        page = await client.get("/arende/JKB-0002")
        body = await page.text()
        assert page.status == 200
        assert "Lamporna är trasiga och det är helt mörkt." in body
        assert "Trappan till perrong 1" in body
        assert "Jakobsberg" in body
        assert "Belysning" in body
        assert catalogs.text("sv", "status.new") in body
        assert "Person 1001" not in body  # never the resident's Telegram name or chat id
        assert str(RESIDENT) not in body.replace(csrf, "")
        assert '<link rel="stylesheet" href="/static/case.css">' in body
        assert 'value="ack"' in body
        assert 'value="reopen"' not in body

        # The resident's photo (the cleaned JPEG the card sent), and no other file.
        assert '<img src="/arende/JKB-0002/foto/1" alt="Foto 1 till JKB-0002"' in body
        photo = await client.get("/arende/JKB-0002/foto/1")
        assert photo.status == 200
        assert photo.headers["Content-Type"] == "image/jpeg"
        assert (await photo.read()).startswith(b"\xff\xd8")
        for number in ("0", "2", "x", "..%2Fweb.sqlite"):
            assert (await client.get(f"/arende/JKB-0002/foto/{number}")).status == 404
        posted = await client.post(
            "/arende/JKB-0002", data={"csrf": csrf, "action": "ack"}, allow_redirects=False
        )
        assert posted.status == 303
        assert posted.headers["Location"] == "/arende/JKB-0002#said"  # the line, not a form
        by_web = await world.wait_for(RESIDENT, lambda m: "JKB-0002 är läst" in m.text)
        assert relabelled(by_web.text, "JKB-0002") == relabelled(by_button.text, "JKB-0001")
        assert by_web.inline_buttons == by_button.inline_buttons
        assert f"är läst av {OFFICER_ACTOR}" in by_web.text

        # The page once with the bot's line, the new status, the event; then without it.
        done = catalogs.text(
            "sv",
            "desk.done",
            reference="JKB-0002",
            status=catalogs.text("sv", "status.acknowledged"),
        )
        after = await (await client.get("/arende/JKB-0002")).text()
        assert done in after
        assert catalogs.text("sv", "web.case.event.acknowledge") in after
        assert 'value="ack"' not in after
        assert done not in await (await client.get("/arende/JKB-0002")).text()
        (case,) = db_rows(settings, "SELECT status FROM cases WHERE reference = 'JKB-0002'")
        assert case["status"] == "acknowledged"

        # The officer's card in Telegram behaves as after another officer's press: its
        # Kvittera gets the bot's one line and changes nothing; Pågår works and redraws it.
        heard = len(world.received(RESIDENT))
        telegram_card = card(officer, "JKB-0002")
        await officer.press(telegram_card, data_of(telegram_card, "Kvittera"))
        illegal = catalogs.text(
            "sv", "desk.illegal", state=catalogs.text("sv", "case.is.acknowledged")
        )
        assert officer.answer() == illegal
        await officer.press(telegram_card, data_of(telegram_card, "Pågår"))
        await world.wait_for(
            RESIDENT, lambda m: "JKB-0002" in m.text and m not in world.received(RESIDENT)[:heard]
        )
        assert len(world.received(RESIDENT)) == heard + 1
        redrawn = world.received(POLIS_JKB)
        status = catalogs.text("sv", "status.in_progress")
        assert any(m.id == telegram_card.id and status in m.text for m in redrawn)


def test_the_lines_to_show_once_are_bounded() -> None:
    """Review finding: the lines waiting to be shown once were a dict that only grew (one
    per session that acted and never came back). Now at most SAID_LIMIT (1000) wait, the
    oldest dropped, each kept by the session id's digest and given once for its case."""
    lines = Lines()
    assert lines.limit == SAID_LIMIT == 1000
    done = Said("desk.done", {"reference": "JKB-0001"}, ok=True)
    for n in range(1500):
        lines.put(f"session-{n}", "JKB-0001", done)
        assert len(lines) == min(n + 1, 1000)
    assert lines.take("session-0", "JKB-0001") is None  # the oldest went first
    assert lines.take("session-499", "JKB-0001") is None
    assert lines.take("session-1499", "JKB-0002") is None  # another case: not its line
    assert lines.take("session-1499", "JKB-0001") == done
    assert lines.take("session-1499", "JKB-0001") is None  # once
    assert len(lines) == 999
    lines.put("session-500", "JKB-0003", done)  # a new line replaces the session's old one
    assert len(lines) == 999
    assert lines.take("session-500", "JKB-0001") is None
    assert lines.take("session-500", "JKB-0003") == done
    assert not any("session-" in key for key in vars(lines)["_held"])  # digests only


async def post(client: Client, csrf: str, reference: str, **fields: str) -> tuple[int, str]:
    """Post one action; the status and the page it ends on (after a 303: the case page)."""
    response = await client.post(f"/arende/{reference}", data={"csrf": csrf, **fields})
    return response.status, await response.text()


async def test_each_action_of_the_card_from_the_web(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    world = emulator.world
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    staff_person(emulator, KOMMUN_JKB, catalogs)
    resident = Person(world, RESIDENT, catalogs)
    t = catalogs.text

    async def heard(text: str) -> None:
        await world.wait_for(RESIDENT, lambda m: text in m.text)

    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        await report(resident)
        csrf = await signed_in_as(client, officer)

        status, body = await post(client, csrf, "JKB-0001", action="start")
        assert status == 200
        assert (
            t("sv", "desk.done", reference="JKB-0001", status=t("sv", "status.in_progress")) in body
        )
        await heard("arbetar nu med ditt ärende JKB-0001")  # the resident hears of it
        assert 'value="ack"' not in body
        assert 'value="start"' not in body

        # A question: the resident gets it with the answer button; their answer is on the page.
        status, body = await post(
            client, csrf, "JKB-0001", action="ask", note="Norra eller södra trappan?"
        )
        assert t("sv", "desk.asked", reference="JKB-0001") in body
        await heard("Norra eller södra trappan?")
        await resident.tap(resident.t("resident.answer_btn"))
        await resident.say("Norra sidan, mot bussterminalen.")
        await world.wait_for(POLIS_JKB, lambda m: "Norra sidan, mot bussterminalen." in m.text)
        body = await (await client.get("/arende/JKB-0001")).text()
        assert t("sv", "web.case.event.answer") in body
        assert "Norra sidan, mot bussterminalen." in body

        # Forward to an actor the page offers: their staff get the card.
        options = re.findall(r'<option value="([a-z-]+)">', body)
        assert "vasttrafik" in options
        assert "jarfalla-kommun" not in options
        status, body = await post(client, csrf, "JKB-0001", action="fwd", actor="vasttrafik")
        assert t("sv", "desk.forwarded", reference="JKB-0001", actor="Västtrafik") in body
        actors = db_rows(settings, "SELECT actor_id FROM case_actors")
        assert "vasttrafik" in [r["actor_id"] for r in actors]
        assert t("sv", "web.case.event.forward") in body

        # Link to one of the station's commitments.
        index = re.search(
            r'<select id="commitment" name="commitment">\s*<option value="(\d+)">', body
        )
        assert index
        status, body = await post(client, csrf, "JKB-0001", action="link", commitment=index[1])
        assert status == 200
        assert "är kopplat till" in body
        (linked,) = db_rows(settings, "SELECT commitment_id FROM cases")
        assert linked["commitment_id"]

        # Resolve with a note; the resident gets the note; then reopen; then reject.
        status, body = await post(
            client, csrf, "JKB-0001", action="res", note="Kommunen har bytt lamporna."
        )
        await heard("Kommunen har bytt lamporna.")
        assert 'value="reopen"' in body
        assert 'value="res"' not in body
        status, body = await post(client, csrf, "JKB-0001", action="reopen")
        assert (
            t("sv", "desk.done", reference="JKB-0001", status=t("sv", "status.in_progress")) in body
        )
        status, body = await post(client, csrf, "JKB-0001", action="rej", note="Fel plats, tyvärr.")
        await heard("Fel plats, tyvärr.")
        events = [
            r["action"] for r in db_rows(settings, "SELECT action FROM case_events ORDER BY id")
        ]
        assert events == [
            "created",
            "start",
            "ask",
            "answer",
            "forward",
            "link",
            "resolve",
            "reopen",
            "reject",
        ]
        assert db_rows(settings, "SELECT status FROM cases")[0]["status"] == "not_actionable"


async def test_refusals_reveal_nothing_and_change_nothing(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    world = emulator.world
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    staff_person(emulator, KOMMUN_JKB, catalogs)
    resident = Person(world, RESIDENT, catalogs)
    t = catalogs.text
    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        await report(resident)
        heard = len(world.received(RESIDENT))

        # Another station's officer, and a partner at other stations: the unknown-case page,
        # for the page and for every action, with their own valid CSRF token.
        unknown = t("sv", "web.case.not_found")
        for intruder in (POLIS_STK, VASTTRAFIK):
            csrf = await signed_in_as(client, staff_person(emulator, intruder, catalogs))
            page = await client.get("/arende/JKB-0001")
            body = await page.text()
            assert page.status == 404
            assert unknown in body
            assert (await client.get("/arende/JKB-0001/foto/1")).status == 404
            assert "Lamporna" not in body
            assert "Jakobsberg" not in body
            for action in ("ack", "start", "reopen", "fwd", "link"):
                status, body = await post(
                    client, csrf, "JKB-0001", action=action, actor="vasttrafik"
                )
                assert (status, unknown in body) == (404, True), (intruder, action)

        csrf = await signed_in_as(client, officer)
        # A forged reference or action: the same page as an unknown case.
        for reference in ("JKB-0999", "XYZ-0001", "nonsense"):
            page = await client.get(f"/arende/{reference}")
            assert (page.status, unknown in await page.text()) == (404, True), reference
            status, _ = await post(client, csrf, reference, action="ack")
            assert status == 404
        for action in ("zap", "", "show", "pg"):
            status, body = await post(client, csrf, "JKB-0001", action=action)
            assert (status, unknown in body) == (404, True), action
        # No or a wrong CSRF token: 403.
        for form in ({"action": "ack"}, {"action": "ack", "csrf": "x" * len(csrf)}):
            response = await client.post("/arende/JKB-0001", data=form)
            assert response.status == 403
            assert t("sv", "web.csrf") in await response.text()
        # An action the status does not allow, and bad input: the bot's one line, on the page.
        illegal = t("sv", "desk.illegal", state=t("sv", "case.is.new"))
        status, body = await post(client, csrf, "JKB-0001", action="reopen")
        assert status == 409
        assert illegal in body
        for note in ("", "   "):
            status, body = await post(client, csrf, "JKB-0001", action="rej", note=note)
            assert status == 409
            assert t("sv", "web.case.note_empty") in body
        status, body = await post(client, csrf, "JKB-0001", action="ask", note="x" * 5000)
        assert status == 409
        assert "tecken för lång" in body
        assert "x" * 5000 in body  # the text is kept in the form, to shorten
        status, body = await post(client, csrf, "JKB-0001", action="fwd", actor="nobody")
        assert status == 409
        assert t("sv", "web.case.no_such_actor") in body
        for index in ("99", "-1", "x"):
            status, body = await post(client, csrf, "JKB-0001", action="link", commitment=index)
            assert status == 409
            assert t("sv", "web.case.no_such_commitment") in body
        assert db_rows(settings, "SELECT status, commitment_id FROM cases")[0]["status"] == "new"
        events = [r["action"] for r in db_rows(settings, "SELECT action FROM case_events")]
        assert events == ["created"]
        await world.settle(RESIDENT, world.actions_in.get(RESIDENT, 0), quiet=0.3, timeout=15)
        assert len(world.received(RESIDENT)) == heard  # nobody was told anything

        # Two officers at once: the page of a case another acted on meanwhile gets the bot's line.
        await officer.press(
            card(officer, "JKB-0001"), data_of(card(officer, "JKB-0001"), "Kvittera")
        )
        status, body = await post(client, csrf, "JKB-0001", action="ack")
        assert status == 409
        assert t("sv", "desk.illegal", state=t("sv", "case.is.acknowledged")) in body


@pytest.mark.asyncio(loop_scope="session")
async def test_an_officer_acknowledges_a_case_in_the_browser(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with live_site(tmp_path, deployment, catalogs) as site:
        world = site.emulator.world
        site.person(KOMMUN_JKB)
        resident = Person(world, RESIDENT, catalogs)
        await report(resident)
        await browser_sign_in(page, site, POLIS_JKB)
        await page.goto(f"{site.url}/arende/JKB-0001")
        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == catalogs.text(
            "sv", "web.case.title", reference="JKB-0001"
        )
        assert await page.get_by_text("Lamporna är trasiga och det är helt mörkt.").is_visible()
        assert await axe_violations(page) == []

        await page.get_by_role("button", name=catalogs.text("sv", "desk.btn.ack")).click()
        done = catalogs.text(
            "sv",
            "desk.done",
            reference="JKB-0001",
            status=catalogs.text("sv", "status.acknowledged"),
        )
        await page.get_by_role("status").filter(has_text=done).wait_for()
        assert page.url == f"{site.url}/arende/JKB-0001#said"
        heard = await world.wait_for(RESIDENT, lambda m: "JKB-0001 är läst" in m.text)
        assert f"är läst av {OFFICER_ACTOR}" in heard.text
        assert not await page.get_by_role(
            "button", name=catalogs.text("sv", "desk.btn.ack")
        ).count()
        # A note action by keyboard-reachable, labelled fields; on a phone nothing is wider.
        await page.get_by_label(catalogs.text("sv", "web.case.note_label")).fill(
            "Vi tittar på det."
        )
        ask = catalogs.text("sv", "desk.btn.ask")
        await page.get_by_role("button", name=ask, exact=True).click()
        await (
            page.get_by_role("status")
            .filter(has_text=catalogs.text("sv", "desk.asked", reference="JKB-0001"))
            .wait_for()
        )
        await world.wait_for(RESIDENT, lambda m: "Vi tittar på det." in m.text)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.reload()
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert await axe_violations(page) == []

        # Review: on a phone the line about an empty text showed ~1,500 px above the text box.
        # Now the page opens at the form, the line by the text box, the text box focused.
        await page.get_by_label(catalogs.text("sv", "web.case.note_label")).fill("   ")
        reject = catalogs.text("sv", "desk.btn.reject")
        await page.get_by_role("button", name=reject, exact=True).click()
        empty = catalogs.text("sv", "web.case.note_empty")
        alert = page.get_by_role("alert").filter(has_text=empty)
        await alert.wait_for()
        assert page.url == f"{site.url}/arende/JKB-0001#note"
        in_view = "r => r.top >= 0 && r.bottom <= innerHeight"
        await page.wait_for_function(  # the browser opened the page at the text box
            f"() => ({in_view})(document.getElementById('note-error').getBoundingClientRect())"
        )
        await page.wait_for_function("() => document.activeElement.id === 'note'")  # case.js
        assert await axe_violations(page) == []


async def idea(resident: Person, text: str) -> None:
    """The resident sends an idea for Jakobsberg (station and consent asked only if needed)."""
    await resident.say("/ide")
    for wanted in ("Jakobsberg", resident.t("privacy.agree")):
        shown = [b["text"] for b in resident.world.last(resident.id).inline_buttons]
        for button in [b for b in shown if wanted in b][:1]:  # the home station has a ⭐
            await resident.tap(button)
    await resident.say(text)
    await resident.tap(resident.t("nav.skip"))
    await resident.tap(resident.t("summary.send"))


async def test_review_back_link_an_idea_s_type_and_who_was_told(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review: no way back to the list; an idea showed 'Kategori –'; after an action
    the line did not say whether the resident was told."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    staff_person(emulator, KOMMUN_JKB, catalogs)
    resident = Person(emulator.world, RESIDENT, catalogs)
    t = catalogs.text
    told = t("sv", "web.case.told")
    # Review: the line said 'Invånaren har fått ett meddelande.', but the message is only
    # queued in the outbox, and those told are all who follow the case (the reporter, unless
    # their data is gone, and those who agreed with it): it says just that, in every language.
    assert told == "Ett meddelande skickas till dem som följer ärendet."
    assert "har fått" not in told
    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        await report(resident)
        await idea(resident, "En belyst cykelväg hela vägen till perrongen.")
        assert [r["kind"] for r in db_rows(settings, "SELECT kind FROM cases ORDER BY id")] == [
            "report",
            "idea",
        ]
        csrf = await signed_in_as(client, officer)

        body = await (await client.get("/arende/JKB-0001")).text()
        back = f'<p class="back"><a href="/">{t("sv", "web.case.back")}</a></p>'
        assert back in body
        assert body.index(back) < body.index("<h1>")
        assert t("sv", "web.case.back") == "← Tillbaka till ärendena"
        assert f"<dt>{t('sv', 'web.case.category')}</dt><dd>Belysning</dd>" in body
        assert f"<dt>{t('sv', 'web.case.kind')}</dt>" not in body

        body = await (await client.get("/arende/JKB-0002")).text()
        assert "En belyst cykelväg" in body
        assert f"<dt>{t('sv', 'web.case.kind')}</dt><dd>Idé</dd>" in body
        assert f"<dt>{t('sv', 'web.case.category')}</dt>" not in body
        assert back in body

        # Acknowledged: the resident's message is queued, and the line says so.
        heard = len(emulator.world.received(RESIDENT))
        _, body = await post(client, csrf, "JKB-0001", action="ack")
        done = t("sv", "desk.done", reference="JKB-0001", status=t("sv", "status.acknowledged"))
        assert f"{done} {told}" in body
        await emulator.world.wait_for(RESIDENT, lambda m: "JKB-0001 är läst" in m.text)
        assert len(emulator.world.received(RESIDENT)) == heard + 1
        # Forwarded: only the actor's staff hear of it, so the line does not say the resident.
        _, body = await post(client, csrf, "JKB-0001", action="fwd", actor="vasttrafik")
        assert t("sv", "desk.forwarded", reference="JKB-0001", actor="Västtrafik") in body
        assert told not in body
        # A question: told too; in every language the line exists.
        _, body = await post(client, csrf, "JKB-0002", action="ask", note="Vilken sida?")
        assert f"{t('sv', 'desk.asked', reference='JKB-0002')} {told}" in body
        assert len({t(lang, "web.case.told") for lang in ("sv", "en", "fi", "ar")}) == 4


def form_of(body: str, form_id: str) -> str:
    found = re.search(rf'<form [^>]*id="{form_id}".*?</form>', body, re.S)
    assert found, form_id
    return found[0]


async def test_review_the_note_form_says_what_it_sends_and_errors_sit_by_the_form(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review: the note form preselected 'Fråga invånaren' (a closing message sent
    with Skicka went out as a question), and its one-line error showed at the top of the page,
    far above the text box on a phone. Now each button names what it sends; the error sits
    below the text box (role=alert, the box described by it) and the form posts to
    #note, so the browser opens the page there, the focus in the box."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    staff_person(emulator, KOMMUN_JKB, catalogs)
    resident = Person(emulator.world, RESIDENT, catalogs)
    t = catalogs.text
    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        await report(resident)
        csrf = await signed_in_as(client, officer)
        await post(client, csrf, "JKB-0001", action="start")
        body = await (await client.get("/arende/JKB-0001")).text()
        note = form_of(body, "note-form")
        assert 'action="/arende/JKB-0001#note"' in note
        assert 'type="radio"' not in note
        assert "checked" not in note
        buttons = re.findall(r'<button type="submit" name="action" value="(\w+)">([^<]+)<', note)
        assert buttons == [
            ("ask", t("sv", "desk.btn.ask")),
            ("res", t("sv", "desk.btn.resolve")),
            ("rej", t("sv", "desk.btn.reject")),
        ]
        assert 'role="group" aria-labelledby="send-as"' in note

        # An empty text: the line in the note form, not at the top; the text box points to it.
        status, body = await post(client, csrf, "JKB-0001", action="res", note="   ")
        assert status == 409
        line = t("sv", "web.case.note_empty")
        note = form_of(body, "note-form")
        assert f'<p class="field-error" id="note-error" role="alert">{line}</p>' in note
        assert 'aria-describedby="note-error note-help" aria-invalid="true"' in note
        assert note.index('id="note"') < note.index('id="note-error"')  # right below the box
        assert body.count(line) == 1  # only there
        assert 'class="said' not in body
        # Too long: the same place, the text kept to shorten.
        status, body = await post(client, csrf, "JKB-0001", action="rej", note="y" * 5000)
        note = form_of(body, "note-form")
        assert 'id="note-error" role="alert">' in note
        assert "tecken för lång" in note
        assert "y" * 5000 in note
        # A forward to no such actor: by the forward form.
        status, body = await post(client, csrf, "JKB-0001", action="fwd", actor="nobody")
        forward = form_of(body, "forward-form")
        assert 'action="/arende/JKB-0001#actor"' in forward
        assert f'role="alert">{t("sv", "web.case.no_such_actor")}</p>' in forward
        assert 'aria-describedby="forward-error"' in forward
        # A line about the case as a whole (from a top button) stays at the top, once.
        status, body = await post(client, csrf, "JKB-0001", action="reopen")
        illegal = t("sv", "desk.illegal", state=t("sv", "case.is.in_progress"))
        assert f'id="said" role="status">{illegal}</p>' in body
        assert 'role="alert"' not in body
        assert db_rows(settings, "SELECT status FROM cases")[0]["status"] == "in_progress"
