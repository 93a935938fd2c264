/* The public promise page's map (bot/web/templates/public_promise.html): report cells of at
   least three reports, each a circle at its cell's centre, from the page's karta.json. The
   table under the map lists the same cells, so the page works without this script. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") {
    return;
  }
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, {
    attribution: element.dataset.attribution,
    maxZoom: 18,
  }).addTo(map);
  fetch(element.dataset.cells, { headers: { Accept: "application/json" } })
    .then(function (response) {
      return response.json();
    })
    .then(function (data) {
      var bounds = [];
      data.cells.forEach(function (cell) {
        var radius = Math.min(30, 8 + 2 * Math.sqrt(cell.count));
        L.circleMarker([cell.lat, cell.lon], {
          radius: radius,
          color: "#0b4f8a",
          weight: 2,
          fillColor: "#0b4f8a",
          fillOpacity: 0.35,
          className: "cell",
        })
          .bindTooltip(cell.label)
          .addTo(map);
        bounds.push([cell.lat, cell.lon]);
      });
      if (bounds.length) {
        map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 });
      } else {
        map.setView([62.0, 15.0], 4);
      }
      element.dataset.cellsShown = String(data.cells.length);
    });
})();
