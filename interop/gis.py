"""The GeoJSON export read by GDAL, as QGIS reads it: `ogrinfo`, then `ogr2ogr` to GeoPackage."""

from __future__ import annotations

import json
import re
from pathlib import Path

from interop.checks import Check
from interop.exports import Exporter


def _count(text: str) -> int | None:
    found = re.search(r"^Feature Count: (\d+)", text, flags=re.M)
    return int(found.group(1)) if found else None


def check_geojson(check: Check, exporter: Exporter, work: Path) -> None:
    path = exporter.export(check, "geojson", work / "arenden.geojson")
    document = json.loads(path.read_text("utf-8"))
    features = document.get("features", []) if isinstance(document, dict) else []
    check.expect(
        isinstance(document, dict) and document.get("type") == "FeatureCollection",
        "the file is one GeoJSON FeatureCollection",
    )
    pinned = [f for f in features if isinstance(f, dict) and f.get("geometry")]
    check.note(f"export: {len(features)} features, {len(pinned)} with a point")

    info = check.run(["ogrinfo", "-so", "-al", str(path)], shown="ogrinfo -so -al arenden.geojson")
    out = info.stdout
    if not check.expect(info.returncode == 0, f"ogrinfo opens it: {info.stderr.strip()[-200:]}"):
        return
    check.expect(
        _count(out) == len(features),
        f"ogrinfo's feature count {_count(out)} == {len(features)} in the file",
    )
    geometry = re.search(r"^Geometry: (.+)$", out, flags=re.M)
    check.expect(
        geometry is not None and geometry.group(1).strip() == "Point",
        f"geometry Point (ogrinfo: {geometry.group(1).strip() if geometry else None})",
    )
    check.expect("WGS 84" in out, "the layer's SRS is WGS 84")
    fields = re.findall(
        r"^(\w[^:\n]*): (String|Integer64|Integer|Real|DateTime|Date|Time)", out, re.M
    )
    check.note(f"ogrinfo: {len(fields)} fields: {', '.join(f'{n} ({t})' for n, t in fields)}")
    check.expect(
        not any("Ã" in n for n, _ in fields),
        "field names are not mojibake",
    )

    gpkg = work / "arenden.gpkg"
    gpkg.unlink(missing_ok=True)
    made = check.run(
        ["ogr2ogr", "-f", "GPKG", str(gpkg), str(path)],
        shown="ogr2ogr -f GPKG arenden.gpkg arenden.geojson",
    )
    if not check.expect(
        made.returncode == 0 and gpkg.exists(),
        f"ogr2ogr writes a GeoPackage: {made.stderr.strip()[-200:]}",
    ):
        return
    back = check.run(["ogrinfo", "-al", str(gpkg)], shown="ogrinfo -al arenden.gpkg")
    check.expect(
        _count(back.stdout) == len(features),
        f"the GeoPackage has {_count(back.stdout)} features, the GeoJSON {len(features)}",
    )
    swedish = sorted(
        {
            value
            for feature in features
            for value in (feature.get("properties") or {}).values()
            if isinstance(value, str) and any(ch in value for ch in "åäöÅÄÖ")
        }
    )
    if check.expect(bool(swedish), "the properties hold Swedish text (å ä ö)"):
        lost = [value for value in swedish if f"= {value}" not in back.stdout]
        check.expect(not lost, f"Swedish values read back from the GeoPackage as written: {lost}")
        check.note(f"Swedish values read back: {', '.join(swedish[:4])}, ...")
    check.expect(
        re.search(r"POINT \(1[27]\.\d+ 5[79]\.\d+\)", back.stdout) is not None,
        "points are longitude, latitude (x = east, y = north) in Sweden",
    )
