/* The dashboard's map: the cases of the list above it, from /karta.json with the page's
   filters, as Leaflet markers whose popups link to the case page. Without JS (or Leaflet)
   the map stays hidden and the list is the page. No inline script: the CSP forbids it. */
(function () {
  "use strict";

  function popup(item, map) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.reference;
    var title = document.createElement("strong");
    title.appendChild(link);
    box.appendChild(title);
    [item.category + " · " + item.status, item.station + " · " + item.when, item.text]
      .forEach(function (line) {
        var p = document.createElement("p");
        p.textContent = line;
        box.appendChild(p);
      });
    if (item.approximate) {
      var note = document.createElement("p");
      note.className = "approximate";
      note.textContent = map.dataset.approximate;
      box.appendChild(note);
    }
    var open = document.createElement("a");
    open.href = item.url;
    open.textContent = map.dataset.open + " " + item.reference;
    box.appendChild(open);
    return box;
  }

  function draw(element, data) {
    element.hidden = false;
    // No fading: a popup is readable (and its contrast full) as soon as it opens.
    var map = L.map(element, { fadeAnimation: false });
    L.tileLayer(element.dataset.tiles, {
      attribution: element.dataset.attribution,
      maxZoom: 19,
    }).addTo(map);
    var bounds = [];
    data.cases.forEach(function (item) {
      var at = [item.lat, item.lon];
      var title = item.reference + ", " + item.category + ", " + item.status;
      var marker = L.marker(at, { title: title, alt: title, keyboard: true });
      marker.bindPopup(popup(item, element));
      marker.addTo(map);
      bounds.push(at);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([62, 15], 4);
    }
    element.dataset.markers = String(bounds.length);
    if (data.total > data.cases.length) {
      var note = document.getElementById("map-note");
      if (note) {
        note.textContent = element.dataset.limited;
      }
    }
  }

  function start() {
    var element = document.getElementById("map");
    if (!element || !element.dataset.src || typeof L === "undefined") {
      return;
    }
    fetch(element.dataset.src, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("map data: " + response.status);
        }
        return response.json();
      })
      .then(function (data) { draw(element, data); })
      .catch(function () { element.hidden = true; });
  }

  // After the page has loaded: map tiles (from a tile server that may be slow) never hold
  // up the page itself.
  if (document.readyState === "complete") {
    start();
  } else {
    window.addEventListener("load", start);
  }
})();
