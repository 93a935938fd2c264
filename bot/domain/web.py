"""Web sign-in rules: one-time links and sessions (no Telegram, no storage here).

A link is a random token handed out once by `/webb`; only its SHA-256 is stored, it is valid
for `LINK_LIFETIME` and used at most once. A session is another random token in a cookie,
stored hashed too, that ends after `IDLE_LIMIT` without a request, `SESSION_MAX_AGE` after
signing in however busy it was, on sign-out, on signing in again in the same browser, or when
the staff member's access ends (their unused links end then too). A member gets at most
`LINKS_PER_WINDOW` links per `LINK_WINDOW`; a new link voids their earlier unused ones. The
CSRF token of a session's forms is derived from the session id, so it is bound to the session
and needs no storage of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

LINK_LIFETIME = dt.timedelta(minutes=10)
IDLE_LIMIT = dt.timedelta(minutes=30)
SESSION_MAX_AGE = dt.timedelta(hours=12)
COOKIE = "trygg_session"
LINKS_PER_WINDOW = 5
LINK_WINDOW = dt.timedelta(hours=1)


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session's forms."""
    return hmac.new(session_id.encode("utf-8"), b"trygg-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_id: str, given: str | None) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(csrf_token(session_id), given)


def stamp(moment: dt.datetime) -> str:
    """A time as stored (ISO 8601 in UTC, seconds), so stored times compare as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def link_url(base: str, token: str) -> str:
    """The sign-in link under the public base URL."""
    return f"{base.rstrip('/')}/login/{token}"


def secure_cookie(base: str | None) -> bool:
    """The cookie is sent over https only when the public URL is https."""
    return base is not None and base.lower().startswith("https://")


def origin(url: str) -> str:
    """The origin (scheme://host[:port], lower case) of a URL; a `{s}` sub-domain
    placeholder of a tile URL becomes `*`."""
    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site(given_origin: str | None, fetch_site: str | None, own_origins: set[str]) -> bool:
    """Whether a POST may come from another site. A browser's Sec-Fetch-Site decides when
    sent: only "same-origin" (and "none", the user's own navigation) pass. Under our
    Referrer-Policy no-referrer, Chromium sends "Origin: null" on the site's own forms, so
    Origin counts only without it: present (even "null") and none of the site's own."""
    if fetch_site is not None:
        return fetch_site.lower() not in {"same-origin", "none"}
    return given_origin is not None and given_origin.lower() not in own_origins


def security_policy(tile_url: str) -> str:
    """The Content-Security-Policy of every page: scripts, styles and requests from the site
    only, images also from the map's tile server, no framing, no foreign form targets."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {origin(tile_url)}",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def page_number(text: str, maximum: int) -> int | None:
    """A page number 1..maximum written as ASCII digits, else None."""
    if (
        not text.isascii()
        or not text.isdigit()
        or len(text) > len(str(maximum))  # int() of thousands of digits raises
        or not 1 <= int(text) <= maximum
    ):
        return None
    return int(text)
