"""The web pages (`trygghetsbot web`): aiohttp with Jinja2 templates; see bot.web.app."""

from __future__ import annotations

from bot.web.app import create_web_app

__all__ = ["create_web_app"]
