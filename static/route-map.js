/* Draws routes on a Leaflet map: numbered stops (no marker images needed), the line depot → stops → depot.
   Reads the JSON named by the map's data-route-map attribute; tiles only when data-tiles gives a URL. */
(function () {
  "use strict";
  var DONE_COLOUR = "#2ca02c"; // as the ticks in the list

  function icon(text, colour, extra) {
    // Built as an element, its colour set through the style property: the Content-Security-Policy refuses a
    // style="" attribute in HTML (and the label is text, never markup).
    var badge = document.createElement("span");
    badge.textContent = text;
    badge.style.background = colour;
    return L.divIcon({
      className: "route-marker " + (extra || ""),
      html: badge,
      iconSize: [30, 30],
      iconAnchor: [15, 15],
    });
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.routeMap);
    if (!source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    var map = L.map(element, {
      scrollWheelZoom: false,
      zoomSnap: 0.25,
      attributionControl: Boolean(element.dataset.tiles),
    });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var bounds = [];
    (data.routes || []).forEach(function (route) {
      var line = [route.depot];
      bounds.push(route.depot);
      L.marker(route.depot, { icon: icon("D", route.colour, "depot"), title: route.name + ": depot", keyboard: false })
        .addTo(map);
      route.stops.forEach(function (stop) {
        line.push(stop.position);
        bounds.push(stop.position);
        var label = stop.done ? "✓" : stop.label;
        L.marker(stop.position, {
          icon: icon(label, stop.done ? DONE_COLOUR : route.colour, stop.kind + (stop.done ? " done" : "")),
          title: stop.title + " (" + stop.arrives + ")",
          keyboard: false,
        }).addTo(map);
      });
      line.push(route.depot);
      L.polyline(line, { color: route.colour, weight: 4, opacity: 0.8 }).addTo(map);
    });
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
    } else {
      map.setView([39.8, -98.6], 4);
    }
  }

  function start() {
    document.querySelectorAll("[data-route-map]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
