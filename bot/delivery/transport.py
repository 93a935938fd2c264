"""PTB's requests to the Bot API over aiohttp instead of httpx.

Measured against a local server, httpx (PTB's HTTPXRequest) costs 1.4 ms of CPU per request
with 4 in flight and 4 ms with 64 (its connection pool scans every connection on each
event); aiohttp about 0.25 ms at any number. At Telegram's 30/s that does not matter; for a
paid broadcast at 1,000/s it was the whole budget of the process. What a response means
(RetryAfter, Forbidden, ...) is PTB's BaseRequest's, as with any request class: this one only
moves bytes.

As HTTPXRequest (which still fetches the updates) does, it goes through the proxy named by
HTTPS_PROXY / HTTP_PROXY / ALL_PROXY at start (NO_PROXY respected), and its timeouts are per
operation, not for the whole request: a slow upload that keeps going is not cut, one that
stalls for `write_timeout` is.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import aiohttp.helpers
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

#: HTTPXRequest's defaults, in seconds.
CONNECT_TIMEOUT = READ_TIMEOUT = WRITE_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
MEDIA_WRITE_TIMEOUT = 20.0


def _seconds(value: Any, default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


#: A proxy's address and its Proxy-Authorization header, if it names a user.
_Proxy = tuple[str | None, dict[str, str] | None]


def _env_proxies() -> dict[str, _Proxy]:
    """The proxy per scheme from HTTP_PROXY / HTTPS_PROXY / ALL_PROXY, as httpx reads them.

    Read once: aiohttp's trust_env reads the environment (and ~/.netrc) on a thread for every
    request, about 0.1 ms, as much as the rest of a request costs. aiohttp speaks to http(s)
    proxies only.
    """
    proxies = getproxies()
    found: dict[str, _Proxy] = {}
    for scheme in ("http", "https"):
        proxy = proxies.get(scheme, proxies.get("all", ""))
        if proxy.startswith(("http://", "https://")):
            address, auth = aiohttp.helpers.strip_auth_from_url(URL(proxy))
            header = None if auth is None else {"Proxy-Authorization": auth.encode()}
            found[scheme] = (str(address), header)
    return found


async def _watch_upload(
    tracker: aiohttp.UploadTracker, deadline: asyncio.Timeout, write: float
) -> None:
    """Keep moving `deadline` to `write` seconds after the upload's last progress.

    aiohttp has no write timeout: without this a stalled upload waits forever. When the
    body is out, aiohttp's read timeout (sock_read) takes over.
    """
    loop = asyncio.get_running_loop()
    sent = -1
    done = tracker.upload_complete
    while not done.done():
        if tracker.bytes_written != sent:
            sent = tracker.bytes_written
            deadline.reschedule(loop.time() + write)
        await asyncio.wait({done}, timeout=write / 4)
    deadline.reschedule(None)


class AiohttpRequest(BaseRequest):
    """One aiohttp session, up to `connection_pool_size` connections kept alive."""

    def __init__(self, connection_pool_size: int = 256, read_timeout: float = READ_TIMEOUT) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, _Proxy] = {}
        self._bypass: dict[str, bool] = {}  # NO_PROXY's answer per host

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._proxies, self._bypass = _env_proxies(), {}
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _proxy(self, url: str) -> _Proxy:
        """The proxy for `url` (NO_PROXY respected), or (None, None)."""
        if not self._proxies:
            return None, None
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme)
        if proxy is None:
            return None, None
        host = parts.hostname or ""
        if (bypass := self._bypass.get(host)) is None:
            bypass = self._bypass[host] = bool(proxy_bypass(host))
        return (None, None) if bypass else proxy

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        body: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            body = request_data.json_parameters
            if files:
                # Names as they are (UTF-8), as httpx sends them: the Bot API does not decode
                # aiohttp's percent-encoding, and "ärenden.csv" arrived as "%C3%A4renden.csv".
                form = aiohttp.FormData(body, quote_fields=False)
                for part, (filename, content, mime) in files.items():
                    # A file object, not bytes: aiohttp warns on bytes over 1 MB (an export).
                    upload = io.BytesIO(content) if isinstance(content, bytes) else content
                    form.add_field(part, upload, filename=filename, content_type=mime)
                body = form
        connect = _seconds(connect_timeout, CONNECT_TIMEOUT)
        pool = _seconds(pool_timeout, POOL_TIMEOUT)
        read = _seconds(read_timeout, self._read_timeout)
        write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT if files else WRITE_TIMEOUT)
        # Per operation, as httpx: no bound on the whole request (a 50 MB export on a slow
        # line takes what it takes); sock_read runs from the end of the body on.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None else connect + (pool or 0),  # a pooled one, or new
            sock_connect=connect,
            sock_read=read,
        )
        request = self._session.request
        proxy, proxy_headers = self._proxy(url)
        try:
            # A body without files is a few kB: it goes into the socket's buffer at once.
            if not files or write is None:
                async with request(
                    method,
                    url,
                    data=body,
                    timeout=timeout,
                    proxy=proxy,
                    proxy_headers=proxy_headers,
                ) as response:
                    return response.status, await response.read()
            tracker = aiohttp.UploadTracker()
            # A failed upload's error is the request's to raise; read here, it is not logged.
            tracker.upload_complete.add_done_callback(lambda f: f.cancelled() or f.exception())
            async with asyncio.timeout(None) as deadline:
                watch = asyncio.ensure_future(_watch_upload(tracker, deadline, write))
                try:
                    async with request(
                        method,
                        url,
                        data=body,
                        timeout=timeout,
                        proxy=proxy,
                        proxy_headers=proxy_headers,
                        upload_tracker=tracker,
                    ) as response:
                        return response.status, await response.read()
                finally:
                    watch.cancel()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
