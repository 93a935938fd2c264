/* The dashboard's map: the cases of the list beside it, from /karta.json with the page's
   filters, as Leaflet markers whose popups link to the case page. Cases at the same point
   (those without a place of their own stand at their station) share one marker showing
   their number, whose popup lists them. Without JS (or Leaflet) the map stays hidden and
   the list is the page. No inline script: the CSP forbids it. */
(function () {
  "use strict";

  function popup(item, map) {
    var box = document.createElement("div");
    lines(box, item, map);
    var open = document.createElement("a");
    open.href = item.url;
    open.textContent = map.dataset.open + " " + item.reference;
    box.appendChild(open);
    return box;
  }

  function lines(box, item, map) {
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
  }

  // The popup of several cases at one point: each one's reference (a link to its page),
  // category, status and date, as a list.
  function groupPopup(items, map) {
    var box = document.createElement("div");
    var head = document.createElement("strong");
    head.textContent = map.dataset.group + ": " + items.length;
    box.appendChild(head);
    var list = document.createElement("ul");
    list.className = "group";
    items.forEach(function (item) {
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.reference;
      entry.appendChild(link);
      entry.appendChild(document.createTextNode(
        " " + item.category + " · " + item.status + " · " + item.when));
      list.appendChild(entry);
    });
    box.appendChild(list);
    if (items.every(function (item) { return item.approximate; })) {
      var note = document.createElement("p");
      note.className = "approximate";
      note.textContent = map.dataset.approximate;
      box.appendChild(note);
    }
    return box;
  }

  // The cases by point, in the order they came (newest first).
  function byPoint(cases) {
    var groups = [];
    var seen = {};
    cases.forEach(function (item) {
      var key = item.lat + "," + item.lon;
      if (!seen[key]) {
        seen[key] = [];
        groups.push(seen[key]);
      }
      seen[key].push(item);
    });
    return groups;
  }

  function marker(items, element) {
    var first = items[0];
    var at = [first.lat, first.lon];
    if (items.length === 1) {
      var title = first.reference + ", " + first.category + ", " + first.status;
      var one = L.marker(at, { title: title, alt: title, keyboard: true });
      one.bindPopup(popup(first, element));
      return one;
    }
    var refs = items.map(function (item) { return item.reference; });
    // The number shown is in the name too (and not in brackets, which a name's checks skip).
    var named = element.dataset.group + ": " + items.length + ". " + refs.join(", ");
    var icon = L.divIcon({
      className: "case-group",
      html: "<span aria-hidden=\"true\">" + items.length + "</span>",
      iconSize: [36, 36],
      iconAnchor: [18, 18],
      popupAnchor: [0, -18],
    });
    var many = L.marker(at, { icon: icon, title: named, keyboard: true });
    many.bindPopup(groupPopup(items, element));
    many.on("add", function () {
      // The number is only a picture: the marker's name says what it holds.
      many.getElement().setAttribute("aria-label", named);
    });
    return many;
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
    byPoint(data.cases).forEach(function (items) {
      marker(items, element).addTo(map);
      bounds.push([items[0].lat, items[0].lon]);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([62, 15], 4);
    }
    element.dataset.markers = String(bounds.length);
    element.dataset.cases = String(data.cases.length);
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
