"""The GeoJSON export: one RFC 7946 FeatureCollection that GIS software reads (GDAL through
pyogrio, and `ogrinfo` where it is installed), points rounded as in Open311, no personal
data, written a batch at a time."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.export import Exporter
from bot.services.export.geojson import PROPERTIES
from bot.settings import Settings
from storage.export import Filters

POLIS_STK = 100000003
#: A pin to the metre: the file must hold it to about 100 m only.
PIN = (57.809712, 12.361489)
DESCRIPTION = "Lampan vid Kalle Svenssons port är trasig"
PLACE = "Storgatan 12, porten"
NOTE = "Bytt av Anna Andersson, ring 070-1234567"


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Settings:
    settings = Settings(database=tmp_path / "geo.sqlite3", media_dir=tmp_path / "media")

    async def seed() -> None:
        services = await Services.open(settings, deployment, catalogs)
        try:
            lit = await services.submit(
                1,
                Draft(
                    kind="report",
                    station="floda",
                    category="belysning",
                    place_text=PLACE,
                    lat=PIN[0],
                    lon=PIN[1],
                    times=["evening", "night"],
                    description=DESCRIPTION,
                ),
                "ar",
            )
            await services.submit(
                2, Draft(kind="idea", station="jakobsberg", description="Fler bänkar."), "sv"
            )
            member = await services.desk.member(POLIS_STK)
            await services.desk.act(member, lit.reference, Action.ACKNOWLEDGE)
            await services.desk.act(member, lit.reference, Action.RESOLVE, NOTE)
        finally:
            await services.close()

    asyncio.run(seed())
    return settings


def export(settings: Settings, out: Path) -> int:
    os.environ["TRYGG_DATABASE"] = str(settings.database)
    try:
        return main(["export", "--format", "geojson", "--out", str(out)])
    finally:
        del os.environ["TRYGG_DATABASE"]


def test_the_file_is_an_rfc_7946_feature_collection(seeded: Settings, tmp_path: Path) -> None:
    out = tmp_path / "cases.geojson"
    assert export(seeded, out) == 0
    with out.open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document  # RFC 7946: WGS 84 always, no crs member
    if "bbox" in document:
        assert len(document["bbox"]) == 4
    features = document["features"]
    assert [f["type"] for f in features] == ["Feature", "Feature"]
    by_ref = {f["properties"]["reference"]: f for f in features}
    lit, idea = by_ref["FLO-0001"], by_ref["JKB-0001"]
    # [longitude, latitude], rounded as Open311 publishes a pin (3 decimals, about 100 m).
    assert lit["geometry"] == {"type": "Point", "coordinates": [12.361, 57.81]}
    assert idea["geometry"] is None  # no pin: an unlocated feature (RFC 7946 3.2)
    for feature in features:
        assert tuple(feature["properties"]) == PROPERTIES
    props = lit["properties"]
    assert props["kind"] == "rapport"
    assert props["category"] == "Belysning"
    assert props["status"] == "åtgärdad"
    assert props["times_of_day"] == "kväll, natt"
    assert props["station"] == "Floda"
    assert props["kommun"] == "Lerum"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00", props["created"])
    assert props["resolved"] is not None
    assert idea["properties"]["acknowledged"] is None
    # No personal data: not the free texts, the officer's note, the language, the resident.
    text = out.read_text(encoding="utf-8")
    for personal in (DESCRIPTION, PLACE, NOTE, "Kalle", "Anna", "arabiska", "resident"):
        assert personal not in text
    assert "57.809712" not in text
    assert "12.361489" not in text


def _point(wkb: bytes) -> tuple[float, float]:
    """The x and y of a WKB point (as GDAL hands geometries to pyogrio)."""
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    assert kind == 1  # Point
    x, y = struct.unpack(order + "dd", wkb[5:21])
    return x, y


def test_gdal_reads_the_features_as_a_gis_does(seeded: Settings, tmp_path: Path) -> None:
    """pyogrio is GDAL, the library QGIS and ArcGIS open GeoJSON with."""
    pyogrio = pytest.importorskip("pyogrio")
    from pyogrio.raw import read

    out = tmp_path / "cases.geojson"
    assert export(seeded, out) == 0
    info = pyogrio.read_info(out)
    assert info["features"] == 2
    assert info["geometry_type"] == "Point"
    assert info["crs"] == "EPSG:4326"
    assert tuple(info["fields"]) == PROPERTIES
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["created"].startswith("datetime64")  # a date field, not text
    assert types["photo_count"] == types["supporters"] == "int32"
    meta, _fids, geometries, columns = read(out)
    fields = dict(zip(meta["fields"], columns, strict=True))
    rows = {
        ref: (geometry, {name: fields[name][n] for name in fields})
        for n, (ref, geometry) in enumerate(zip(fields["reference"], geometries, strict=True))
    }
    geometry, props = rows["FLO-0001"]
    assert _point(geometry) == pytest.approx((12.361, 57.81))
    assert props["category"] == "Belysning"
    assert props["status"] == "åtgärdad"
    assert props["routed_actors"]  # by name
    assert rows["JKB-0001"][0] is None


def test_ogrinfo_counts_the_features(seeded: Settings, tmp_path: Path) -> None:
    """GDAL's own command, as `make interop` runs it (skipped where gdal-bin is absent)."""
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) is not installed")
    out = tmp_path / "cases.geojson"
    assert export(seeded, out) == 0
    result = subprocess.run(
        ["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True, check=True
    )
    assert re.search(r"^Feature Count: 2$", result.stdout, re.M), result.stdout
    assert re.search(r"^Geometry: Point$", result.stdout, re.M), result.stdout


def test_the_collection_is_written_a_batch_at_a_time(
    tmp_path: Path, deployment: Deployment
) -> None:
    """Never the whole export in memory: when the first batch is counted, its features are
    already in the file; the features of every batch are in one valid document."""
    from bench.export import seed

    database = tmp_path / "many.sqlite3"
    seed(database, 5000, deployment)
    out = tmp_path / "many.geojson"
    on_disk: list[tuple[int, int]] = []

    def seen(rows: int) -> None:  # the hidden file that becomes `out` once complete
        (partial,) = tmp_path.glob(".trygg-export-*.partial")
        on_disk.append((rows, partial.stat().st_size))

    written = Exporter(deployment).write("geojson", database, out, Filters(), seen)
    assert written == 5000
    size = out.stat().st_size
    first_rows, first_size = on_disk[0]
    assert first_rows == 2000  # storage.export.BATCH
    assert first_size > size * 0.3  # 2,000 of 5,000 features written out already
    with out.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    assert len(features) == 5000
    with sqlite3.connect(database) as conn:
        pinned = conn.execute("SELECT COUNT(*) FROM cases WHERE lat IS NOT NULL").fetchone()[0]
    conn.close()
    assert 0 < sum(f["geometry"] is not None for f in features) == pinned < 5000
