"""(Placeholder: this area of the web app is being built; see bot.web.app.)"""

from __future__ import annotations

from aiohttp import web


def add_routes(app: web.Application) -> None:
    """No routes yet."""
