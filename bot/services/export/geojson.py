"""GeoJSON for GIS (QGIS, ArcGIS): the cases as one RFC 7946 FeatureCollection, streamed.

One Feature per case, in the order of the other formats, written a batch at a time: the file
is never held in memory. What a map layer needs, and no personal data:
- the point is the resident's pin rounded as Open311 publishes it (bot/domain/open311.py,
  PIN_DECIMALS: about 100 m, the place and not the doorstep), [longitude, latitude] as
  RFC 7946 orders them, in WGS 84 (no "crs" member: RFC 7946 has none);
- a case without a pin has geometry null (RFC 7946 3.2, an unlocated feature): GDAL, and so
  QGIS and ArcGIS, read it as a feature without geometry, which is in the attribute table
  and the counts but not drawn. Left out, a layer would silently hold fewer cases than the
  CSV of the same export; put at its station, it would pile up there as if it were a place;
- the properties are the CSV's columns with the labels an admin reads ("Belysning",
  "åtgärdad", "kväll, natt"), keyed by the column codes ("category", "status"): ASCII field
  names survive every GIS format (a shapefile, a file geodatabase) and expression unquoted;
- times are ISO 8601 with the local offset, which GDAL reads as date-time fields;
- left out, as personal data: the resident's pseudonym (it links one person's cases into a
  trail of places and times), the free texts (description, place: residents are asked not
  to name people, but do), and the resident's language (with a place and a time it can
  single a resident out). Open311 publishes none of these for unread cases either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from bot.domain.open311 import PIN_DECIMALS
from bot.services.export.cells import COLUMNS, Cells
from bot.services.export.labels import Labels
from storage.export import Filters, batches

#: The CSV's columns a map layer leaves out: the personal ones (see above) and the
#: coordinates (the geometry holds those).
EXCLUDED = frozenset({"latitude", "longitude", "place_text", "description", "language", "resident"})
#: The properties of a feature, in this order: the CSV's columns less EXCLUDED.
PROPERTIES = tuple(column for column in COLUMNS if column not in EXCLUDED)
HEADER = '{"type": "FeatureCollection", "features": [\n'
SEPARATOR = ",\n"  # between features, one a line
FOOTER = "\n]}\n"


def geojson_chunks(
    cells: Cells, labels: Labels, database: Path, filters: Filters
) -> Iterator[tuple[str, int]]:
    """The features of the matching cases, one a line, joined by SEPARATOR within a batch
    (the writer puts it between batches): (text, number of features)."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for batch in batches(database, filters):
        features = []
        for case in batch.cases:
            # Place text, description, language and resident (the _) are never used.
            (case_id, reference, kind, station_id, category, status, created_at,
             acknowledged_at, resolved_at, times, lat, lon, _, _, commitment_id, _,
             _) = case  # fmt: skip
            geometry = None
            if lat is not None and lon is not None:
                point = [round(lon, PIN_DECIMALS), round(lat, PIN_DECIMALS)]
                geometry = {"type": "Point", "coordinates": point}
            values = (
                reference,
                labels.kind(kind),
                cells.names.get(station_id, station_id),
                cells.kommun.get(station_id),
                labels.category(category),
                labels.status(status),
                cells.local(created_at),
                cells.local(acknowledged_at),
                cells.local(resolved_at),
                labels.times_of_day(times),
                batch.photos.get(case_id, 0),
                batch.supporters.get(case_id, 0),
                commitment_id,
                labels.actors(batch.actors.get(case_id)),
            )
            properties = dict(zip(PROPERTIES, values, strict=True))
            features.append(
                dumps({"type": "Feature", "geometry": geometry, "properties": properties})
            )
        if features:
            yield SEPARATOR.join(features), len(features)


def write_geojson(
    cells: Cells,
    labels: Labels,
    database: Path,
    out: Path,
    filters: Filters,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the FeatureCollection to `out`; returns the number of features (every case)."""
    written = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER)
        for text, rows in geojson_chunks(cells, labels, database, filters):
            if written:
                handle.write(SEPARATOR)
            handle.write(text)
            written += rows
            if progress:
                progress(written)
        handle.write(FOOTER)
    if progress:
        progress(written)
    return written
