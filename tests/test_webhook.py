"""Webhook mode: Telegram's secret token is checked; the health endpoint reports the state."""

from __future__ import annotations

import asyncio

import aiohttp
from pydantic import SecretStr

from bot.app import build_application
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.settings import Settings
from bot.webhook import PATH, SECRET_HEADER, serve_webhook

SECRET = "s3cret_token-123"


async def test_webhook_mode_end_to_end(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    settings = bot_settings.model_copy(
        update={"webhook_secret": SecretStr(SECRET), "webhook_port": 0}
    )
    stop = asyncio.Event()
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(
        serve_webhook(build_application(settings, deployment), settings, stop, bound)
    )
    port = await asyncio.wait_for(bound, 10)
    base = f"http://127.0.0.1:{port}"
    try:
        world = emulator.world
        for _ in range(100):  # until the bot has registered its webhook with "Telegram"
            if world.webhook_url:
                break
            await asyncio.sleep(0.05)
        assert world.webhook_url == f"{base}{PATH}"
        assert world.webhook_secret == SECRET
        world.user(1001)
        world.send_text(1001, "/start")
        reply = await world.wait_for(1001, lambda m: "Ring 112" in m.text, timeout=10)
        assert reply.inline_buttons  # the menu's buttons are on the welcome: one message
        # It is there before the refused posts, so a count of one afterwards shows those did
        # nothing.
        async with aiohttp.ClientSession() as http:
            update = {
                "update_id": 99,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": 1001, "type": "private"},
                    "text": "/start",
                },
            }
            async with http.post(f"{base}{PATH}", json=update) as response:
                assert response.status == 403  # no secret
            async with http.post(
                f"{base}{PATH}", json=update, headers={SECRET_HEADER: "wrong"}
            ) as response:
                assert response.status == 403
            async with http.post(
                f"{base}{PATH}", data="not json", headers={SECRET_HEADER: SECRET}
            ) as response:
                assert response.status == 400
            async with http.get(f"{base}/health") as response:
                assert response.status == 200
                health = await response.json()
        assert health["ok"] is True
        assert "outbox_pending" in health
        assert len(world.received(1001)) == 1  # the welcome: the refused posts did nothing
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


def test_webhook_command_needs_url_and_secret(capsys: object) -> None:
    import pytest

    from bot.cli import main

    capture = capsys
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRYGG_BOT_TOKEN", "1:x")
        assert main(["webhook"]) == 2
    err = capture.readouterr().err.strip().splitlines()  # type: ignore[attr-defined]
    assert err[-1].startswith("Webhook mode needs TRYGG_WEBHOOK_URL")
