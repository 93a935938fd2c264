"""A real Open311 client library against the API, in XML and in JSON: `georeport` (PyPI), the
GeoReport v2 client that speaks both formats (it parses XML with xmltodict, JSON with requests).
Its requests are synchronous: they run in a thread while the server runs in the event loop.

The other GeoReport clients on PyPI were read and left out: `open311` 1.1 and `three` 0.8 are
Python 2 only (implicit relative imports, itertools.ifilter).

`test_the_client_against_a_live_trygghetsbot_api` starts `trygghetsbot api` itself: `make
interop` runs this file.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import xmltodict
from georeport import GeoReport

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from bot.open311 import PREFIX
from tests.open311_seed import Seeded, open311_server, running_api
from tests.test_open311 import KEY, check_request, check_service
from tests.test_open311_formats import PLACE, SECRET, TRICKY, as_text, seed_tricky

T = TypeVar("T")


@pytest.fixture
async def tricky(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Seeded:
    return await seed_tricky(tmp_path, deployment, catalogs)


async def _serve(
    seeded: Seeded, deployment: Deployment, catalogs: Catalogs, key: str | None
) -> AsyncIterator[str]:
    """The API on a free local port; yields its root address."""
    async with open311_server(seeded.settings.database, deployment, catalogs, key) as server:
        yield f"http://127.0.0.1:{server.port}{PREFIX}"


@pytest.fixture
async def root(tricky: Seeded, deployment: Deployment, catalogs: Catalogs) -> AsyncIterator[str]:
    async for address in _serve(tricky, deployment, catalogs, None):
        yield address


@pytest.fixture
async def keyed_root(
    tricky: Seeded, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[str]:
    async for address in _serve(tricky, deployment, catalogs, KEY):
        yield address


async def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A blocking client call, off the event loop the server runs in."""
    return await asyncio.to_thread(function, *args, **kwargs)


def as_list(found: Any) -> list[Any]:
    """xmltodict gives one repeated element as a dict, several as a list."""
    return found if isinstance(found, list) else [found]


def as_xmltodict(value: Any) -> Any:
    """A JSON body as xmltodict reads the same data from XML: every value text, empty ones
    None; what XML cannot hold left out (bot.domain.text.xml_safe)."""
    return as_text(value, None)


def client_error(call_it: Callable[[], object]) -> requests.Response:
    """The response of a call the client refuses (it raises for every HTTP error)."""
    with pytest.raises(requests.HTTPError) as caught:
        call_it()
    response = caught.value.response
    assert response is not None
    return response


def check_with_the_client(address: str, tricky: Seeded) -> None:
    """Every read the client library offers, in JSON and in XML, and the same data in both."""
    as_json = GeoReport(address, output_format="json")
    as_xml = GeoReport(address, output_format="xml")
    assert (as_json.output_format, as_xml.output_format) == ("json", "xml")

    # Services
    services = as_json.get_service_list()
    for service in services:
        check_service(service)
    codes = [service["service_code"] for service in services]
    assert "belysning" in codes
    assert "idea" in codes
    xml_services = as_list(as_xml.get_service_list())
    assert xml_services == as_xmltodict(services)

    # A service definition: none has attributes
    assert as_json.get_service_definition("belysning") == {
        "service_code": "belysning",
        "attributes": [],
    }
    assert as_xml.get_service_definition("belysning") == {
        "service_code": "belysning",
        "attributes": None,
    }

    # Requests: the default window, a service_code list with a status, ids
    found = as_json.get_service_requests()
    for item in found:
        check_request(item)
    assert [r["service_request_id"] for r in found] == [tricky.pin, tricky.idea, tricky.lit]
    assert as_list(as_xml.get_service_requests()) == as_xmltodict(found)
    both = dict(service_code="belysning,perrong", status="open,closed", start_date="2000-01-01")
    listed = as_json.get_service_requests(**both)
    assert [r["service_request_id"] for r in listed] == [tricky.pin, tricky.lit]
    assert as_list(as_xml.get_service_requests(**both)) == as_xmltodict(listed)
    one = as_xml.get_service_requests(service_code="idea", status="open")
    assert one["service_request_id"] == tricky.idea  # one request: one dict
    ids = f"{tricky.lit},{tricky.unseen}"
    by_id = as_json.get_service_requests(service_request_id=ids)
    assert [r["service_request_id"] for r in by_id] == [tricky.lit]  # never the unseen one

    # One request, with the resident's text escaped in XML and read back exactly
    lit = as_json.get_service_request(tricky.lit)
    assert lit["description"] == TRICKY
    assert lit["address"] == PLACE
    xml_lit = as_xml.get_service_request(tricky.lit)
    assert xml_lit == as_xmltodict(lit)
    assert xml_lit["description"] == TRICKY.replace("\x0b", "\n").replace("\x1b", "")

    # Errors: the client raises; the body is the spec's error in the format asked for
    for client in (as_json, as_xml):
        for refused, code, words in [
            (lambda c=client: c.get_service_request(tricky.unseen), 404, tricky.unseen),
            (lambda c=client: c.get_service_definition("nosuch"), 404, "nosuch"),
            (lambda c=client: c.get_service_requests(start_date="igår"), 400, "start_date"),
            (lambda c=client: c.get_service_requests(status="pending"), 400, "status"),
        ]:
            response = client_error(refused)
            assert response.status_code == code
            if client is as_xml:
                assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
                error = xmltodict.parse(response.content)["errors"]["error"]
            else:
                assert response.headers["Content-Type"] == "application/json; charset=utf-8"
                (error,) = response.json()
            assert int(error["code"]) == code
            assert words in error["description"]
            assert SECRET not in response.text


async def test_the_client_reads_every_endpoint_in_both_formats(root: str, tricky: Seeded) -> None:
    await call(check_with_the_client, root, tricky)


async def test_the_client_without_the_key_is_refused_in_its_format(keyed_root: str) -> None:
    """GeoReport v2 asks no key for reads, so the client sends none: a keyed API refuses it
    with the spec's 403 error, which the client can read."""
    for fmt in ("json", "xml"):
        client = GeoReport(keyed_root, output_format=fmt)
        response = await call(client_error, client.get_service_list)
        assert response.status_code == 403
        if fmt == "xml":
            error = xmltodict.parse(response.content)["errors"]["error"]
        else:
            (error,) = response.json()
        assert (int(error["code"]), error["description"]) == (403, "A valid api_key is required")


def _command() -> list[str]:
    """`trygghetsbot api` as installed next to this Python (the module where it is not)."""
    script = Path(sys.executable).with_name("trygghetsbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


async def test_the_client_against_a_live_trygghetsbot_api(tricky: Seeded) -> None:
    async with running_api(_command(), tricky.settings.database, {}, 30) as api:
        await call(check_with_the_client, f"http://127.0.0.1:{api.port}{PREFIX}", tricky)
        api.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(api.process.wait(), 20) == 0


def test_the_client_is_what_pyproject_installs() -> None:
    """CI installs the dev extra on a clean clone: the client must be in it."""
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    dev = pyproject.split("dev = [", 1)[1].split("]", 1)[0]
    assert re.search(r'"georeport[<>=~!]', dev), dev
