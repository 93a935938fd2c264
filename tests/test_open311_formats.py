"""Open311 in both of the spec's formats: every endpoint as XML and JSON, the spec's error body
in both, `service_code` lists, escaped text, and nothing published in XML that JSON does not.

XML is read with a strict parser (expat, through ElementTree: malformed XML raises) and with
`fms_xmlin`, which mirrors how FixMyStreet's Open311 client reads it (perllib/Open311.pm:
XML::Simple with ForceArray and GroupTags of the spec's lists, SuppressEmpty => undef, the root
element dropped). The real client library is in tests/test_open311_client.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from bot.open311 import PREFIX
from tests.open311_seed import CHAT_A, CHAT_B, NOTE, Client, Seeded, open311_client, seed_cases
from tests.test_open311 import KEY, check_error, check_request, check_service

#: A resident's description with everything XML must escape, text it must carry as UTF-8, and
#: characters XML 1.0 cannot hold (vertical tab: a line break; ESC: left out).
TRICKY = 'Lampan <b>"trasig"</b> & mörk vid Åsas kiosk ]]> &amp; 🚲 مرحبا\x0bnästa rad\x1b slut'
#: TRICKY as XML can carry it (bot.domain.text.xml_safe).
TRICKY_XML = TRICKY.replace("\x0b", "\n").replace("\x1b", "")
PLACE = "Perrong 2 <&> spår"
#: A case no officer took in: never published, in any format.
SECRET = "Hemligt <&> ärende"
SECRET_PLACE = "Hemma hos mig på Storgatan"


async def seed_tricky(path: Path, deployment: Deployment, catalogs: Catalogs) -> Seeded:
    """The Open311 cases (tests/open311_seed.py): the resolved report (lit) with TRICKY text,
    the unseen one a belysning with SECRET text."""
    return await seed_cases(
        path,
        deployment,
        catalogs,
        lit_place=PLACE,
        lit_text=TRICKY,
        unseen_category="belysning",
        unseen_place=SECRET_PLACE,
        unseen_text=SECRET,
    )


@pytest.fixture
async def tricky(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Seeded:
    return await seed_tricky(tmp_path, deployment, catalogs)


@pytest.fixture
async def api(tricky: Seeded, deployment: Deployment, catalogs: Catalogs) -> AsyncIterator[Client]:
    async with open311_client(tricky, deployment, catalogs, None) as client:
        yield client


@pytest.fixture
async def keyed_api(
    tricky: Seeded, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Client]:
    async with open311_client(tricky, deployment, catalogs, KEY) as client:
        yield client


# ---------------------------------------------------------------------- reading the formats
@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


async def fetch(client: Client, path: str, **params: str) -> Answer:
    async with client.get(PREFIX + path, params=params) as response:
        return Answer(response.status, response.headers["Content-Type"], await response.read())


XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
#: The spec's lists in XML: the container and its items (discovery's too).
XML_LISTS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def strict_xml(answer: Answer) -> ET.Element:
    """The document parsed strictly, after checking what the spec asks of an XML response."""
    assert answer.content_type == "text/xml; charset=utf-8"
    assert answer.body.startswith(XML_DECLARATION), answer.body[:60]
    answer.body.decode("utf-8")  # strict: UTF-8 throughout
    root = ET.fromstring(answer.body)  # expat: not well-formed raises
    assert not root.attrib
    for element in root.iter():
        assert not element.attrib, element.tag  # the spec's XML has no attributes
        assert element.tag.isidentifier(), element.tag  # no namespace
    return root


def parsed_json(answer: Answer) -> Any:
    assert answer.content_type == "application/json; charset=utf-8"
    return json.loads(answer.body.decode("utf-8"))


def spark(element: ET.Element) -> Any:
    """An XML element read back by the spec's JSON mapping (the Spark convention): a list
    container becomes a list, an element with children an object, a leaf its text."""
    children = list(element)
    if element.tag in XML_LISTS:
        assert all(child.tag == XML_LISTS[element.tag] for child in children), element.tag
        assert (element.text or "").strip() == ""
        return [spark(child) for child in children]
    if children:
        tags = [child.tag for child in children]
        assert len(tags) == len(set(tags)), tags
        assert (element.text or "").strip() == ""
        return {child.tag: spark(child) for child in children}
    return element.text or ""


def as_text(value: Any, empty: str | None = "") -> Any:
    """A JSON body with every value written as the XML writes it; an empty value (null or "")
    as `empty`: "" is what the Spark mapping reads (spark), None what xmltodict reads."""
    if isinstance(value, dict):
        return {key: as_text(item, empty) for key, item in value.items()}
    if isinstance(value, list):
        return [as_text(item, empty) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return empty
    text = str(value)
    return text.replace("\x0b", "\n").replace("\x1b", "")  # as bot.domain.text.xml_safe


#: perllib/Open311.pm's _get_xml_object: ForceArray on these items, GroupTags on their lists.
FMS_GROUP_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "service_request_updates": "request_update",
}
FMS_FORCE_ARRAY = set(FMS_GROUP_TAGS.values())


def fms_xmlin(body: bytes) -> dict[str, Any]:
    """The object FixMyStreet's client gets from an XML answer (XML::Simple as configured in
    perllib/Open311.pm): the root dropped; items of the spec's lists always in arrays; a list
    container (not the root) replaced by its array; whitespace-only text and empty elements
    undef; text kept as written; attributes would be keys (KeyAttr {}), there are none."""
    root = ET.fromstring(body)
    value = _fms_value(root)
    return value if isinstance(value, dict) else {}


def _fms_value(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        text = element.text or ""
        return text if text.strip() else None
    found: dict[str, Any] = {}
    for child in children:
        value = _fms_value(child)
        group = FMS_GROUP_TAGS.get(child.tag)
        if group is not None and len(child) and all(item.tag == group for item in child):
            value = [_fms_value(item) for item in child]
        if child.tag in FMS_FORCE_ARRAY:
            found.setdefault(child.tag, []).append(value)
        elif child.tag in found:
            earlier = found[child.tag]
            found[child.tag] = [*earlier, value] if isinstance(earlier, list) else [earlier, value]
        else:
            found[child.tag] = value
    return found


def fms_errors(body: bytes) -> str:
    """perllib/Open311.pm's _process_error: "code: description" lines, or 'unknown error'."""
    obj = fms_xmlin(body)
    lines = [
        f"{error.get('code') or '???'}: {error.get('description') or 'unknown error'}\n"
        for error in obj.get("error", [])
    ]
    return "".join(lines) or "unknown error"


#: DateTime::Format::W3CDTF's full form (what FixMyStreet parses requested/updated times with).
W3CDTF = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$")


def fms_importable(request: dict[str, Any]) -> bool:
    """What Open311::GetServiceRequests needs to import a request: an id, lat and long, and
    an updated_datetime it can parse."""
    return bool(
        request.get("service_request_id")
        and request.get("lat")
        and request.get("long")
        and W3CDTF.match(request.get("updated_datetime") or "")
    )


def refs(items: list[dict[str, Any]]) -> list[str]:
    return [item["service_request_id"] for item in items]


# ---------------------------------------------------------------------- every endpoint
ENDPOINTS = [
    ("/discovery", "discovery"),
    ("/services", "services"),
    ("/services/belysning", "service_definition"),
    ("/services/idea", "service_definition"),
    ("/requests", "service_requests"),
    ("/requests/{lit}", "service_requests"),
    ("/requests/{pin}", "service_requests"),
]


@pytest.mark.parametrize(("path", "root"), ENDPOINTS)
async def test_every_endpoint_answers_in_xml_with_what_json_carries(
    api: Client, tricky: Seeded, path: str, root: str
) -> None:
    path = path.format(lit=tricky.lit, pin=tricky.pin)
    as_json = await fetch(api, f"{path}.json")
    as_xml = await fetch(api, f"{path}.xml")
    assert (as_json.status, as_xml.status) == (200, 200)
    body = parsed_json(as_json)
    document = strict_xml(as_xml)
    assert document.tag == root
    assert spark(document) == as_text(body)  # the same data, element for key, nothing more


async def test_the_json_bodies_keep_their_shape(api: Client, tricky: Seeded) -> None:
    services = parsed_json(await fetch(api, "/services.json"))
    for service in services:
        check_service(service)
    requests = parsed_json(await fetch(api, "/requests.json"))
    for request in requests:
        check_request(request)
    assert refs(requests) == [tricky.pin, tricky.idea, tricky.lit]
    definition = parsed_json(await fetch(api, "/services/belysning.json"))
    assert definition == {"service_code": "belysning", "attributes": []}
    discovery = parsed_json(await fetch(api, "/discovery.json"))
    assert discovery["endpoints"][0]["formats"] == ["text/xml", "application/json"]


async def test_xml_is_the_spec_examples_shape(api: Client, tricky: Seeded) -> None:
    services = strict_xml(await fetch(api, "/services.xml"))
    first = services.find("service")
    assert first is not None
    assert [child.tag for child in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "false"
    assert first.findtext("type") == "realtime"

    requests = strict_xml(await fetch(api, "/requests.xml", status="closed"))
    (request,) = requests.findall("request")
    assert request.findtext("service_request_id") == tricky.lit
    assert request.findtext("status") == "closed"
    assert request.findtext("lat") == "57.8097"
    assert request.findtext("long") == "12.3614"
    assert W3CDTF.match(request.findtext("requested_datetime") or "")

    definition = strict_xml(await fetch(api, "/services/idea.xml"))
    assert definition.findtext("service_code") == "idea"
    attributes = definition.find("attributes")
    assert attributes is not None
    assert len(attributes) == 0

    discovery = strict_xml(await fetch(api, "/discovery.xml"))
    endpoint = discovery.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("url") == f"http://127.0.0.1:{api.port}{PREFIX}"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    for field in ("changeset", "contact", "key_service"):
        assert discovery.find(field) is not None, field


async def test_fixmystreet_reads_the_xml(api: Client, tricky: Seeded) -> None:
    """What perllib/Open311.pm and its callers take from each answer."""
    services = fms_xmlin((await fetch(api, "/services.xml")).body)
    codes = [service["service_code"] for service in services["service"]]
    assert "belysning" in codes
    assert "idea" in codes
    assert all(service["metadata"] == "false" for service in services["service"])

    meta = fms_xmlin((await fetch(api, "/services/belysning.xml")).body)
    assert meta == {"service_code": "belysning", "attributes": None}  # no attributes

    # Open311::GetServiceRequests asks for the last hour, in W3CDTF times in UTC.
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    window = {
        "start_date": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (now + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    found = fms_xmlin((await fetch(api, "/requests.xml", **window)).body)["request"]
    assert [r["service_request_id"] for r in found] == [tricky.pin, tricky.idea, tricky.lit]
    assert all(fms_importable(request) for request in found)
    by_ref = {request["service_request_id"]: request for request in found}
    assert by_ref[tricky.lit]["description"] == TRICKY_XML
    assert by_ref[tricky.lit]["address"] == PLACE
    assert by_ref[tricky.lit]["status"] == "closed"
    assert by_ref[tricky.pin]["service_code"] == "perrong"

    one = fms_xmlin((await fetch(api, f"/requests/{tricky.idea}.xml")).body)
    assert [r["service_request_id"] for r in one["request"]] == [tricky.idea]

    ids = fms_xmlin(
        (await fetch(api, "/requests.xml", service_request_id=f"{tricky.lit},{tricky.pin}")).body
    )
    assert sorted(r["service_request_id"] for r in ids["request"]) == sorted(
        [tricky.lit, tricky.pin]
    )
    none = await fetch(api, "/requests.xml", service_code="nosuch")
    assert none.status == 200
    assert fms_xmlin(none.body) == {}  # an empty service_requests: nothing to import


# ---------------------------------------------------------------------- errors in both
ERRORS = [
    ("/services/nosuch", {}, 404, "No service nosuch"),
    ("/requests", {"start_date": "yesterday"}, 400, "start_date must be an ISO 8601"),
    ("/requests", {"end_date": "2026-13-01"}, 400, "end_date must be an ISO 8601"),
    ("/requests", {"status": "pending"}, 400, "status must be open, closed"),
    ("/requests/JKB-9999", {}, 404, "No service request JKB-9999"),
    ("/requests/<&>", {}, 404, "No service request <&>"),
    ("/nothing-here", {}, 404, "Not Found"),
]


def xml_errors(answer: Answer, code: int) -> str:
    document = strict_xml(answer)
    assert document.tag == "errors"
    (error,) = document
    assert error.tag == "error"
    assert [child.tag for child in error] == ["code", "description"]
    assert error.findtext("code") == str(code)
    description = error.findtext("description") or ""
    assert description
    assert fms_errors(answer.body) == f"{code}: {description}\n"
    return description


@pytest.mark.parametrize(("path", "params", "code", "words"), ERRORS)
async def test_errors_in_both_formats(
    api: Client, path: str, params: dict[str, str], code: int, words: str
) -> None:
    as_xml = await fetch(api, f"{path}.xml", **params)
    assert as_xml.status == code
    assert words in xml_errors(as_xml, code)
    as_json = await fetch(api, f"{path}.json", **params)
    assert as_json.status == code
    assert words in check_error(parsed_json(as_json), code)


async def test_a_format_neither_xml_nor_json_is_refused(api: Client) -> None:
    for path in ("/services.csv", "/requests.html", "/discovery.txt", "/services/idea.yaml"):
        answer = await fetch(api, path)
        assert answer.status == 400, path
        assert "ask for .xml or .json" in check_error(parsed_json(answer), 400)


async def test_a_wrong_key_gets_the_error_in_the_format_asked(keyed_api: Client) -> None:
    for path in ("/discovery", "/services", "/services/idea", "/requests", "/requests/FLO-0001"):
        for fmt in ("xml", "json"):
            for params in ({}, {"api_key": "wrong"}, {"api_key": KEY + "x"}):
                answer = await fetch(keyed_api, f"{path}.{fmt}", **params)
                assert answer.status == 403, (path, fmt, params)
                if fmt == "xml":
                    assert "api_key" in xml_errors(answer, 403)
                else:
                    assert "api_key" in check_error(parsed_json(answer), 403)
            answer = await fetch(keyed_api, f"{path}.{fmt}", api_key=KEY)
            assert answer.status == 200, (path, fmt)


async def test_read_only_in_xml(api: Client) -> None:
    async with api.post(f"{PREFIX}/requests.xml", data={"service_code": "annat"}) as response:
        assert response.status == 405
        answer = Answer(405, response.headers["Content-Type"], await response.read())
    xml_errors(answer, 405)


# ---------------------------------------------------------------------- service_code lists
@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ("belysning,perrong", ["pin", "lit"]),
        ("idea,belysning", ["idea", "lit"]),
        ("perrong,idea", ["pin", "idea"]),
        (" belysning , idea ,nosuch", ["idea", "lit"]),
        ("belysning,belysning", ["lit"]),
        ("nosuch,alsonot", []),
        ("idea", ["idea"]),
        ("klotter,perrong", ["pin"]),
        (",,", ["pin", "idea", "lit"]),  # no code at all: every service
        ("", ["pin", "idea", "lit"]),
    ],
)
@pytest.mark.parametrize("fmt", ["xml", "json"])
async def test_service_code_lists(
    api: Client, tricky: Seeded, codes: str, expected: list[str], fmt: str
) -> None:
    answer = await fetch(api, f"/requests.{fmt}", service_code=codes)
    assert answer.status == 200
    body = spark(strict_xml(answer)) if fmt == "xml" else parsed_json(answer)
    found = refs(body)
    assert found == [getattr(tricky, name) for name in expected]


async def test_service_code_lists_combine_with_the_other_filters(
    api: Client, tricky: Seeded
) -> None:
    answer = await fetch(api, "/requests.json", service_code="belysning,idea,perrong")
    assert refs(parsed_json(answer)) == [tricky.pin, tricky.idea, tricky.lit]
    answer = await fetch(api, "/requests.json", service_code="belysning,idea", status="open")
    assert refs(parsed_json(answer)) == [tricky.idea]
    answer = await fetch(api, "/requests.json", service_code="belysning,idea", status="closed")
    assert refs(parsed_json(answer)) == [tricky.lit]
    # The unseen report is a belysning too: a list does not let it through.
    answer = await fetch(api, "/requests.json", service_code="belysning", status="open,closed")
    assert refs(parsed_json(answer)) == [tricky.lit]
    too_many = ",".join(f"code{i}" for i in range(101))
    answer = await fetch(api, "/requests.xml", service_code=too_many)
    assert answer.status == 400
    assert "service_code" in xml_errors(answer, 400)


# ---------------------------------------------------------------------- text and privacy
async def test_text_is_escaped_and_utf8(api: Client, tricky: Seeded) -> None:
    answer = await fetch(api, f"/requests/{tricky.lit}.xml")
    raw = answer.body
    # Markup in a resident's text is text: escaped, never elements.
    assert b"<b>" not in raw
    assert b"&lt;b&gt;" in raw
    assert b"&amp;amp;" in raw  # the resident's literal "&amp;"
    assert b"]]&gt;" in raw
    assert "mörk vid Åsas kiosk".encode() in raw  # UTF-8, not character references
    assert "🚲 مرحبا".encode() in raw
    assert b"\x1b" not in raw
    (request,) = strict_xml(answer)
    assert request.findtext("description") == TRICKY_XML
    assert request.findtext("address") == PLACE
    # JSON keeps the text exactly.
    (item,) = parsed_json(await fetch(api, f"/requests/{tricky.lit}.json"))
    assert item["description"] == TRICKY
    assert item["address"] == PLACE


async def test_nothing_unpublished_reaches_xml_or_json(
    api: Client, tricky: Seeded, deployment: Deployment
) -> None:
    texts: list[str] = []
    for fmt in ("xml", "json"):
        for path, params in [
            ("/discovery", {}),
            ("/services", {}),
            ("/services/belysning", {}),
            ("/requests", {"start_date": "2000-01-01", "status": "open,closed"}),
            ("/requests", {"service_code": "belysning,idea,perrong,klotter"}),
            ("/requests", {"service_request_id": f"{tricky.unseen},{tricky.lit}"}),
            *((f"/requests/{ref}", {}) for ref in (tricky.lit, tricky.idea, tricky.pin)),
        ]:
            answer = await fetch(api, f"{path}.{fmt}", **params)
            assert answer.status == 200, (path, fmt)
            texts.append(answer.body.decode())
        hidden = await fetch(api, f"/requests/{tricky.unseen}.{fmt}")
        assert hidden.status == 404
        texts.append(hidden.body.decode())
    everything = "\n".join(texts)
    assert tricky.lit in everything
    assert "Perrong 2 &lt;&amp;&gt; spår" in everything  # published text is there, escaped
    forbidden = [
        tricky.unseen,  # only in the 404's description, which names what was asked
        "Hemligt",
        "Storgatan",
        str(CHAT_A),
        str(CHAT_B),
        tricky.photo,
        NOTE,
        "Anna Andersson",
        "070-",
        "resident",
        "chat_id",
        "pseudonym",
        "photo",
        ".jpg",
    ]
    for member in deployment.staff:
        forbidden.append(member.name)
        forbidden += [str(member.telegram_id)] if member.telegram_id else []
        forbidden += [member.email] if member.email else []
    without_404s = everything.replace(f"No service request {tricky.unseen}", "")
    leaked = [word for word in forbidden if word in without_404s]
    assert not leaked, leaked
