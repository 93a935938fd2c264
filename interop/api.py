"""The Open311 API as a client sees it: a live `trygghetsbot api` and a client from PyPI.

The client library (interop.install.CLIENT) asks for services, requests, one request and one
that does not exist, in XML (GeoReport v2's format every client must read) and in JSON.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from interop.checks import Check
from interop.seed import Seeded, subprocess_env

PREFIX = "/open311/v2"
START_SECONDS = 30
MISSING = "XYZ-9999"


@contextlib.contextmanager
def live_api(check: Check, seeded: Seeded, work: Path) -> Iterator[str]:
    """`trygghetsbot api --port 0` on the seeded database; its base URL while it runs."""
    argv = [sys.executable, "-m", "bot", "api", "--listen", "127.0.0.1", "--port", "0"]
    check.commands.append("trygghetsbot api --listen 127.0.0.1 --port 0")
    process = subprocess.Popen(
        argv,
        cwd=work,
        env=subprocess_env(seeded),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    stderr = process.stderr

    def pump() -> None:
        for line in stderr:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    try:
        deadline = time.monotonic() + START_SECONDS
        port = None
        while port is None:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if not line:
                raise RuntimeError(f"trygghetsbot api exited ({process.wait()}) before listening")
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        yield f"http://127.0.0.1:{port}{PREFIX}"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(20)
                check.expect(code == 0, f"trygghetsbot api stops on SIGTERM with 0, not {code}")
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                check.expect(False, "trygghetsbot api stops on SIGTERM within 20 s")


def _items(found: Any) -> list[dict[str, Any]]:
    """A list of records from the client: xmltodict gives one record as a dict, none as None."""
    if found is None:
        return []
    if isinstance(found, dict):
        return [found]
    return [dict(item) for item in found]


def _error(fmt: str, body: bytes) -> tuple[int, str] | None:
    """The code and description of a GeoReport v2 error body, or None if it is not one."""
    try:
        if fmt == "json":
            parsed = json.loads(body)
            first = parsed[0]
            return int(first["code"]), str(first["description"])
        root = ET.fromstring(body)
        error = root.find("error")
        if root.tag != "errors" or error is None:
            return None
        return int(error.findtext("code", "")), error.findtext("description", "")
    except (ValueError, KeyError, IndexError, TypeError, ET.ParseError):
        return None


def _fields(
    fmt: str, client_module: ModuleType, base: str, check: Check, seeded: Seeded
) -> dict[str, Any]:
    """One format's round: services, requests, a filtered list, one request, an error."""
    client = client_module.GeoReport(base, output_format=fmt)
    services = _items(client.get_service_list())
    check.expect(bool(services), f"{fmt}: services listed")
    check.expect(
        all(s.get("service_code") and s.get("service_name") for s in services),
        f"{fmt}: every service has service_code and service_name",
    )
    codes = [str(s["service_code"]) for s in services if s.get("service_code")]
    requests_ = _items(client.get_service_requests())
    ids = {str(r.get("service_request_id")) for r in requests_}
    names = ", ".join(str(s.get("service_name")) for s in services[:3])
    check.note(f"{fmt}: {len(services)} services ({names}, ...); requests {sorted(ids)}")
    check.expect(
        ids == set(seeded.published),
        f"{fmt}: requests are the published cases {sorted(seeded.published)}, got {sorted(ids)}",
    )
    wanted = [c for c in ("belysning", "perrong") if c in codes]
    some = _items(client.get_service_requests(service_code=",".join(wanted)))
    check.expect(
        bool(some) and all(str(r.get("service_code")) in wanted for r in some),
        f"{fmt}: service_code={','.join(wanted)} gives only those: "
        f"{sorted(str(r.get('service_code')) for r in some)}",
    )
    one = dict(client.get_service_request(seeded.tricky))
    check.expect(str(one.get("service_request_id")) == seeded.tricky, f"{fmt}: one request by id")
    check.expect(
        one.get("description") == seeded.cases[seeded.tricky],
        f'{fmt}: the description with å ä ö ; " and a line break intact: '
        f"{one.get('description')!r}",
    )
    try:
        client.get_service_request(MISSING)
        check.expect(False, f"{fmt}: an unknown request is an error")
    except Exception as exc:  # requests.HTTPError, raised by the client
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        body = getattr(response, "content", b"") or b""
        error = _error(fmt, body)
        check.note(f"{fmt}: {MISSING} -> {status} {error}")
        check.expect(status == 404, f"{fmt}: an unknown request is 404, got {status} ({exc})")
        check.expect(
            error is not None and error[0] == 404 and bool(error[1]),
            f"{fmt}: the error body is GeoReport v2's errors format: {body[:120]!r}",
        )
    try:
        definition = client.get_service_definition(codes[0]) if codes else None
        check.expect(
            isinstance(definition, dict) and bool(definition),
            f"{fmt}: services/{codes[0] if codes else '?'} answers: {definition!r}",
        )
    except Exception as exc:
        response = getattr(exc, "response", None)
        body = getattr(response, "content", b"") or b""
        check.expect(
            _error(fmt, body) is not None,
            f"{fmt}: services/{codes[0]} is a definition or a GeoReport error: {body[:120]!r}",
        )
    return one


def check_open311(check: Check, client_module: ModuleType, seeded: Seeded, work: Path) -> None:
    with live_api(check, seeded, work) as base:
        check.note(f"client: {client_module.__name__}.GeoReport('{base}', output_format=...)")
        xml = _fields("xml", client_module, base, check, seeded)
        js = _fields("json", client_module, base, check, seeded)
    differ = [key for key in sorted(set(xml) & set(js)) if not _same_value(xml[key], js[key])]
    check.expect(not differ, f"XML and JSON say the same for one request; differ: {differ}")
    missing = sorted(k for k in set(js) - set(xml) if js[k] not in (None, ""))
    check.expect(not missing, f"XML has every field JSON has; missing: {missing}")


def _same_value(xml: Any, js: Any) -> bool:
    if js is None or js == "":
        return xml in (None, "")
    if isinstance(js, bool):
        return str(xml).lower() == str(js).lower()
    if isinstance(js, int | float):
        try:
            return abs(float(xml) - float(js)) < 1e-9
        except (TypeError, ValueError):
            return False
    return str(xml) == str(js)
