"""The Open311 read API: the spec's fields and types, filters, key, errors, no personal data."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from bot.open311 import PREFIX
from bot.settings import SettingsError, load_settings
from tests.open311_seed import (
    CHAT_A,
    CHAT_B,
    NOTE,
    Client,
    Seeded,
    ago,
    open311_client,
    running_api,
    seed_cases,
)

KEY = "open-sesame-311"

# ---------------------------------------------------------------------- the spec's fields
#: Every field a GeoReport v2 service request may have; the ones we fill, with their types.
SPEC_REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
REQUEST_TYPES: dict[str, type] = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": str,
    "requested_datetime": str,
    "updated_datetime": str,
    "address": str,
    "lat": float,
    "long": float,
}
SERVICE_TYPES: dict[str, type] = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
W3C = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def check_service(item: Any) -> None:
    assert isinstance(item, dict)
    assert set(item) == set(SERVICE_TYPES), item
    for key, kind in SERVICE_TYPES.items():
        assert type(item[key]) is kind, (key, item[key])
    assert item["type"] in {"realtime", "batch", "blackbox"}
    assert item["service_code"]
    assert item["service_name"]


def check_request(item: Any) -> None:
    assert isinstance(item, dict)
    assert set(item) <= SPEC_REQUEST_FIELDS, set(item) - SPEC_REQUEST_FIELDS
    assert set(REQUEST_TYPES) <= set(item), set(REQUEST_TYPES) - set(item)
    for key, kind in REQUEST_TYPES.items():
        assert type(item[key]) is kind, (key, item[key])
    assert item["status"] in {"open", "closed"}
    assert re.fullmatch(r"[A-Z]{2,5}-\d{4,}", item["service_request_id"])
    for key in ("requested_datetime", "updated_datetime"):
        assert W3C.match(item[key]), item[key]
        moment = dt.datetime.fromisoformat(item[key])
        assert moment.utcoffset() in {dt.timedelta(hours=1), dt.timedelta(hours=2)}  # Stockholm
    assert item["updated_datetime"] >= item["requested_datetime"]
    assert -90 <= item["lat"] <= 90
    assert -180 <= item["long"] <= 180


def check_error(body: Any, code: int) -> str:
    assert isinstance(body, list)
    assert len(body) == 1
    assert set(body[0]) == {"code", "description"}
    assert body[0]["code"] == code
    assert isinstance(body[0]["description"], str)
    assert body[0]["description"]
    return str(body[0]["description"])


# ---------------------------------------------------------------------- fixtures
@pytest.fixture
async def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Seeded:
    return await seed_cases(tmp_path, deployment, catalogs, history=True)


@pytest.fixture
async def api(seeded: Seeded, deployment: Deployment, catalogs: Catalogs) -> AsyncIterator[Client]:
    async with open311_client(seeded, deployment, catalogs, None) as client:
        yield client


@pytest.fixture
async def keyed_api(
    seeded: Seeded, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Client]:
    async with open311_client(seeded, deployment, catalogs, KEY) as client:
        yield client


async def get(client: Client, path: str, **params: str) -> tuple[int, Any, str]:
    """GET a path under the API prefix: status, parsed JSON body and the raw text."""
    async with client.get(PREFIX + path, params=params) as response:
        text = await response.text()
        assert response.content_type == "application/json"
        return response.status, json.loads(text), text


def refs(body: Any) -> list[str]:
    return [item["service_request_id"] for item in body]


# ---------------------------------------------------------------------- services
async def test_services_are_the_categories_and_ideas(api: Client, deployment: Deployment) -> None:
    status, body, _ = await get(api, "/services.json")
    assert status == 200
    assert isinstance(body, list)
    for item in body:
        check_service(item)
    codes = [item["service_code"] for item in body]
    assert codes == [c.id for c in deployment.categories] + ["idea"]
    by_code = {item["service_code"]: item for item in body}
    assert by_code["belysning"]["service_name"] == "Belysning"
    assert "Lighting" in by_code["belysning"]["description"]
    assert by_code["belysning"]["metadata"] is False
    assert by_code["idea"]["service_name"] == "Idé"
    assert by_code["idea"]["group"] != by_code["belysning"]["group"]
    status, body, _ = await get(api, "/services.json", jurisdiction_id="jarfalla.se")
    assert status == 200
    assert len(body) == len(codes)


async def test_discovery_points_at_the_endpoint(api: Client) -> None:
    status, body, _ = await get(api, "/discovery.json")
    assert status == 200
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == f"http://127.0.0.1:{api.port}{PREFIX}"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert dt.datetime.fromisoformat(body["changeset"]).utcoffset() is not None


# ---------------------------------------------------------------------- requests
async def test_requests_carry_the_spec_fields(api: Client, seeded: Seeded) -> None:
    status, body, _ = await get(api, "/requests.json")
    assert status == 200
    for item in body:
        check_request(item)
    # The default window is the last 90 days, newest first: the 200-day-old case is not in it.
    assert refs(body) == [seeded.pin, seeded.idea, seeded.lit]
    by_ref = {item["service_request_id"]: item for item in body}

    lit = by_ref[seeded.lit]
    assert lit["status"] == "closed"
    assert lit["status_notes"] == "Åtgärdad"
    assert lit["service_code"] == "belysning"
    assert lit["service_name"] == "Belysning"
    assert lit["description"] == "Lampan vid cykelstället är trasig."
    assert lit["agency_responsible"] == "Lokalpolisområde Alingsås; Lerums kommun"
    assert lit["address"] == "Vid cykelstället"
    assert (lit["lat"], lit["long"]) == (57.8097, 12.3614)  # no pin: Floda station
    assert "media_url" not in lit

    idea = by_ref[seeded.idea]
    assert idea["status"] == "open"
    assert idea["status_notes"] == "Läst"
    assert (idea["service_code"], idea["service_name"]) == ("idea", "Idé")
    assert idea["address"] == "Floda, Lerum"
    assert idea["agency_responsible"] == "Lokalpolisområde Alingsås"

    pin = by_ref[seeded.pin]
    assert (pin["lat"], pin["long"]) == (59.424, 17.833)  # the resident's pin, to ~100 m
    assert pin["address"] == "Jakobsberg, Järfälla"
    assert pin["agency_responsible"] == "Lokalpolisområde Järfälla; Trafikverket"


def _date(days: int) -> str:
    return ago(days).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service_code": "belysning"}, ["lit"]),
        ({"service_code": "idea"}, ["idea"]),
        ({"service_code": "perrong", "status": "open"}, ["pin"]),
        ({"service_code": "nosuch"}, []),
        ({"status": "closed"}, ["lit"]),
        ({"status": "open"}, ["pin", "idea"]),
        ({"status": "open,closed"}, ["pin", "idea", "lit"]),
        ({"start_date": 250}, ["pin", "idea", "lit", "old"]),
        ({"start_date": 250, "end_date": 100}, ["old"]),
        ({"end_date": 150}, ["old"]),  # the 90 days before end_date
        ({"end_date": 250}, []),
        ({"start_date": 1, "service_code": "belysning"}, ["lit"]),
        ({"service_request_id": "old,idea", "status": "closed"}, ["idea", "old"]),  # overrides
        ({"service_request_id": "pin, NOPE-0001"}, ["pin"]),
        ({"jurisdiction_id": "lerum.se"}, ["pin", "idea", "lit"]),
    ],
)
async def test_request_filters(
    api: Client, seeded: Seeded, params: dict[str, object], expected: list[str]
) -> None:
    names = {"lit", "idea", "pin", "old"}

    def value(key: str, raw: object) -> str:
        if key in ("start_date", "end_date"):
            assert isinstance(raw, int)
            return _date(raw)
        text = str(raw)
        if key == "service_request_id":
            return ",".join(
                getattr(seeded, p.strip()) if p.strip() in names else p for p in text.split(",")
            )
        return text

    query = {key: value(key, raw) for key, raw in params.items()}
    status, body, _ = await get(api, "/requests.json", **query)
    assert status == 200
    for item in body:
        check_request(item)
    assert refs(body) == [getattr(seeded, name) for name in expected]


async def test_dates_in_w3c_forms(api: Client, seeded: Seeded) -> None:
    # A raw "+" in a query string decodes to a space; the offset must still be read.
    async with api.get(
        f"{PREFIX}/requests.json?start_date=2000-01-01T00:00:00+01:00&service_code=belysning"
    ) as response:
        assert response.status == 200
        assert refs(await response.json()) == [seeded.lit, seeded.old]
    for start in ("2000-01-01", "2000-01-01T00:00:00Z", "2000-01-01T00:00:00-05:00"):
        status, body, _ = await get(api, "/requests.json", start_date=start)
        assert status == 200, start
        assert len(body) == 4, start


async def test_one_request_by_id(api: Client, seeded: Seeded) -> None:
    status, body, _ = await get(api, f"/requests/{seeded.old}.json")
    assert status == 200
    (item,) = body  # the spec answers with a list, also for one request
    check_request(item)
    assert item["service_request_id"] == seeded.old
    assert item["address"] == "Gångtunneln"
    requested = dt.datetime.fromisoformat(item["requested_datetime"])
    assert abs(requested - ago(200)) < dt.timedelta(minutes=5)
    status, body, _ = await get(api, "/requests/JKB-9999.json")
    assert status == 404
    assert "JKB-9999" in check_error(body, 404)


async def test_cases_no_officer_took_in_are_never_published(api: Client, seeded: Seeded) -> None:
    hidden = [seeded.unseen, seeded.rejected]
    for ref in hidden:
        status, body, _ = await get(api, f"/requests/{ref}.json")
        assert status == 404, ref
    status, body, text = await get(
        api, "/requests.json", start_date=_date(250), status="open,closed"
    )
    assert status == 200
    assert not set(hidden) & set(refs(body))
    assert "Ingen har läst" not in text
    assert "Hemma hos mig" not in text
    status, body, _ = await get(api, "/requests.json", service_request_id=",".join(hidden))
    assert status == 200
    assert body == []


@pytest.mark.parametrize(
    ("path", "params", "code", "words"),
    [
        ("/requests.json", {"start_date": "yesterday"}, 400, "start_date"),
        ("/requests.json", {"end_date": "2026-13-01"}, 400, "end_date"),
        ("/requests.json", {"start_date": "2026-10-02", "end_date": "2026-10-01"}, 400, "before"),
        ("/requests.json", {"end_date": "0001-01-02"}, 400, "out of range"),
        ("/requests.json", {"start_date": "0001-01-01T00:00:00+05:00"}, 400, "out of range"),
        ("/requests.json", {"status": "new"}, 400, "status"),
        ("/requests.json", {"service_request_id": " , "}, 400, "service_request_id"),
        ("/services.csv", {}, 400, "ask for .xml or .json"),
        ("/requests.html", {}, 400, "ask for .xml or .json"),
        ("/requests/FLO-0001.yaml", {}, 400, "ask for .xml or .json"),
        ("/discovery.txt", {}, 400, "ask for .xml or .json"),
        ("/services/nosuch.json", {}, 404, "nosuch"),
        ("/nothing-here", {}, 404, "Not Found"),
    ],
)
async def test_bad_requests_get_the_error_body(
    api: Client, path: str, params: dict[str, str], code: int, words: str
) -> None:
    status, body, _ = await get(api, path, **params)
    assert status == code
    assert words in check_error(body, code)


async def test_read_only(api: Client) -> None:
    async with api.post(f"{PREFIX}/requests.json", data={"service_code": "annat"}) as response:
        assert response.status == 405
        check_error(await response.json(), 405)


async def test_api_key(keyed_api: Client) -> None:
    for path in ("/services.json", "/requests.json", "/requests/FLO-0001.json", "/discovery.json"):
        for params in ({}, {"api_key": "wrong"}, {"api_key": KEY + "x"}, {"api_key": ""}):
            status, body, _ = await get(keyed_api, path, **params)
            assert status == 403, (path, params)
            check_error(body, 403)
        status, body, _ = await get(keyed_api, path, api_key=KEY)
        assert status == 200, path
    status, body, _ = await get(keyed_api, "/requests/JKB-9999.json")
    assert status == 403  # no key: not even whether a case exists


async def test_no_personal_data_in_any_response(
    api: Client, seeded: Seeded, deployment: Deployment
) -> None:
    texts = []
    for path, params in [
        ("/discovery.json", {}),
        ("/services.json", {}),
        ("/requests.json", {"start_date": "2000-01-01"}),
        *((f"/requests/{ref}.json", {}) for ref in (seeded.lit, seeded.idea, seeded.pin)),
    ]:
        status, _, text = await get(api, path, **params)
        assert status == 200
        texts.append(text)
    everything = "\n".join(texts)
    assert seeded.lit in everything
    assert "Vid cykelstället" in everything
    forbidden = [str(CHAT_A), str(CHAT_B), seeded.photo, NOTE, "Anna Andersson", "070-"]
    for member in deployment.staff:
        forbidden.append(member.name)
        forbidden += [str(member.telegram_id)] if member.telegram_id else []
        forbidden += [member.email] if member.email else []
    forbidden += ["resident", "chat_id", "pseudonym", "username", "photo", ".jpg"]
    leaked = [word for word in forbidden if word in everything]
    assert not leaked, leaked


# ---------------------------------------------------------------------- settings and CLI
def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.open311_listen, settings.open311_port) == ("127.0.0.1", 8080)
    assert settings.open311_api_key is None
    monkeypatch.setenv("TRYGG_OPEN311_API_KEY", "  ")
    assert load_settings().open311_api_key is None
    monkeypatch.setenv("TRYGG_OPEN311_API_KEY", KEY)
    monkeypatch.setenv("TRYGG_OPEN311_PORT", "8311")
    settings = load_settings()
    assert settings.open311_port == 8311
    assert settings.open311_api_key is not None
    assert settings.open311_api_key.get_secret_value() == KEY
    assert KEY not in repr(settings)
    monkeypatch.setenv("TRYGG_OPEN311_PORT", "70000")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert caught.value.lines[0].startswith("Invalid setting TRYGG_OPEN311_PORT")


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["api", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert "Open311" in out
    assert "--port" in out
    assert "--listen" in out


def test_cli_port_in_use_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path / "busy.sqlite3"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["api", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"Cannot serve the Open311 API on 127.0.0.1:{port}")


async def test_cli_serves_and_stops_on_sigterm(seeded: Seeded) -> None:
    command = [sys.executable, "-m", "bot"]
    key = {"TRYGG_OPEN311_API_KEY": KEY}
    async with running_api(command, seeded.settings.database, key, 20) as api:
        assert [line for line in api.log if KEY in line] == []
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{api.port}{PREFIX}/requests.json", params={"api_key": KEY}
            ) as response,
        ):
            assert response.status == 200
            assert refs(await response.json()) == [seeded.pin, seeded.idea, seeded.lit]
        api.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(api.process.wait(), 20) == 0


@pytest.mark.parametrize("padding", [0, 55], ids=["whole key", "cut-off key"])
async def test_a_long_request_line_logs_no_part_of_the_key(
    keyed_api: Client, caplog: pytest.LogCaptureFixture, padding: int
) -> None:
    """aiohttp quotes the first 100 bytes of a line too long to read in its error log: with
    `padding` the quote ends in the middle of the key. Neither the key nor a piece of it
    may reach the log."""
    server = keyed_api.server
    target = f"{PREFIX}/requests.json?{'p=' + 'x' * padding + '&' if padding else ''}"
    target += f"api_key={KEY}&q={'y' * 9000}"
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.")  # refused: 400 or 414
    writer.close()
    await writer.wait_closed()
    await get(keyed_api, "/services.json", api_key=KEY)  # a normal request: the access log
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    pieces = {KEY[i : i + 5] for i in range(len(KEY) - 4)}
    assert [p for p in pieces if p in logged] == []
    assert "Got more than" in logged  # aiohttp did log the line it refused
    assert "api_key=<redacted>" in logged
