/* The operations map: every bin in view as a dot coloured by its state, a ring when it is forecast to overflow,
   a dark edge when it has an open alarm. Bins come from the JSON named by data-bins-url in one request; dots
   are drawn on a canvas so a city's thousands stay quick. Choosing a bin loads its panel (htmx) and draws its
   chart with uPlot. Tiles only when data-tiles gives a URL. */
(function () {
  "use strict";
  var COLOURS = { ok: "#15803d", nearly_full: "#ea8c00", full: "#d62828", offline: "#6b7280" };
  var RING = "#6d28d9";
  var EDGE = "#111827";
  // Bins at one address share its coordinates: fan them out a few metres so each can be clicked when zoomed in.
  var FAN_DEGREES = 0.00012;

  function panelUrl(template, id) {
    return template.replace(/0\/$/, id + "/");
  }

  function openBin(element, id) {
    var url = panelUrl(element.dataset.binUrl, id);
    if (typeof htmx === "undefined") {
      window.location.href = url;
      return;
    }
    htmx.ajax("GET", url, { target: "#bin-panel", swap: "innerHTML" });
  }

  function status(text) {
    var line = document.getElementById("ops-map-status");
    if (line) line.textContent = text;
  }

  function fanned(rows, columns) {
    var lat = columns.indexOf("lat");
    var lng = columns.indexOf("lng");
    var location = columns.indexOf("location");
    var seen = {};
    return rows.map(function (row) {
      var index = (seen[row[location]] = (seen[row[location]] || 0) + 1) - 1;
      if (index === 0) return [row[lat], row[lng]];
      var angle = index * 2.39996; // the golden angle spreads any number of bins evenly
      var reach = FAN_DEGREES * Math.sqrt(index);
      return [row[lat] + reach * Math.sin(angle), row[lng] + reach * Math.cos(angle)];
    });
  }

  // The canvas's dots cannot take focus: the same bins as a list, so a keyboard or screen reader reaches each one.
  function pickList(element, data, c) {
    var form = document.getElementById("ops-pick");
    var select = document.getElementById("ops-pick-bin");
    if (!form || !select || !data.bins.length) return;
    var options = data.bins.map(function (row) {
      var state = row[c.state];
      return {
        id: row[c.id],
        text:
          data.locations[row[c.location]] +
          " · " +
          (data.streams[row[c.stream]] || row[c.stream]) +
          " · " +
          (state === "offline" ? "not reporting" : row[c.fill] + "%, " + (data.states[state] || state).toLowerCase()) +
          (row[c.at_risk] ? " · forecast to overflow" : "") +
          (row[c.alarms] ? " · open alarm" : ""),
      };
    });
    options.sort(function (a, b) {
      return a.text < b.text ? -1 : a.text > b.text ? 1 : a.id - b.id;
    });
    select.replaceChildren.apply(
      select,
      options.map(function (option) {
        return new Option(option.text, String(option.id));
      })
    );
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      openBin(element, select.value);
    });
  }

  function draw(element, data) {
    var map = L.map(element, {
      preferCanvas: true,
      scrollWheelZoom: false,
      zoomSnap: 0.25,
      attributionControl: Boolean(element.dataset.tiles),
    });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution || "" }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var c = {};
    data.columns.forEach(function (name, index) {
      c[name] = index;
    });
    var positions = fanned(data.bins, data.columns);
    var renderer = L.canvas({ padding: 0.3 });
    var bounds = [];
    data.bins.forEach(function (row, index) {
      var position = positions[index];
      bounds.push(position);
      var state = row[c.state];
      var alarms = row[c.alarms];
      var title =
        data.locations[row[c.location]] +
        " · " +
        (data.streams[row[c.stream]] || row[c.stream]) +
        " · " +
        (state === "offline" ? "not reporting" : row[c.fill] + "%") +
        (row[c.at_risk] ? " · forecast to overflow" : "") +
        (alarms ? " · " + alarms + " open alarm" + (alarms > 1 ? "s" : "") : "");
      if (row[c.at_risk]) {
        L.circleMarker(position, { renderer: renderer, radius: 11, color: RING, weight: 3, fill: false, interactive: false })
          .addTo(map);
      }
      L.circleMarker(position, {
        renderer: renderer,
        radius: 7,
        color: alarms ? EDGE : "#ffffff",
        weight: alarms ? 3 : 1.5,
        fillColor: COLOURS[state] || COLOURS.offline,
        fillOpacity: 0.95,
      })
        .bindTooltip(title, { direction: "top", offset: [0, -8] })
        .on("click", function () {
          openBin(element, row[c.id]);
        })
        .addTo(map);
    });
    pickList(element, data, c);
    element.leafletMap = map; // for scripts (and browser tests) that drive the map
    if (bounds.length) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([39.8, -98.6], 4);
    }
    var shown = data.bins.length;
    element.dataset.drawn = String(shown);
    status(
      shown
        ? shown + " bin" + (shown === 1 ? "" : "s") + " on the map. Choose one, or a bin in a list, to see its last two weeks."
        : "No bins match these filters."
    );
  }

  function load(element) {
    if (typeof L === "undefined") return;
    fetch(element.dataset.binsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            var problems = Object.values(body.errors || {}).join(" ");
            throw new Error(problems || "the server answered " + response.status);
          }
          return body;
        });
      })
      .then(function (data) {
        draw(element, data);
      })
      .catch(function (error) {
        status("The map could not load the bins: " + error.message + " The lists still work.");
      });
  }

  function percent(u, value) {
    return value == null ? "–" : Math.round(value) + "%";
  }

  function chart(holder) {
    var source = document.getElementById(holder.dataset.fillChart);
    if (!source || typeof uPlot === "undefined" || holder.dataset.drawn) return;
    holder.dataset.drawn = "1";
    var data = JSON.parse(source.textContent);
    if (!data.x.length) return;
    var mark = data.x.map(function () {
      return data.collect_at;
    });
    var visit = data.visit_at;
    var plot = new uPlot(
      {
        width: Math.max(240, holder.clientWidth),
        height: 220,
        tzDate: function (seconds) {
          return uPlot.tzDate(new Date(seconds * 1000), data.timezone);
        },
        scales: {
          // A little room after the last point, so a visit on the chart's last moment is not drawn on its edge.
          x: { range: function (u, min, max) { return [min, max + (max - min) * 0.02]; } },
          y: { range: [0, 100] },
        },
        axes: [{}, { values: function (u, ticks) { return ticks.map(function (t) { return t + "%"; }); }, size: 48 }],
        legend: { live: true },
        series: [
          {},
          { label: "Fill", stroke: "#2563eb", width: 2, value: percent },
          { label: "Forecast", stroke: RING, width: 2, dash: [6, 4], spanGaps: true, value: percent },
          { label: "Collect at", stroke: "#d62828", width: 1, dash: [2, 4], value: percent, points: { show: false } },
        ],
        hooks: {
          draw: [
            function (u) {
              // The next visit as an upright line, where it falls inside the chart.
              if (!visit || visit < u.scales.x.min || visit > u.scales.x.max) return;
              var x = Math.round(u.valToPos(visit, "x", true));
              var ctx = u.ctx;
              ctx.save();
              ctx.setLineDash([]); // the series before it leave their dashes on the context
              ctx.strokeStyle = "#15803d";
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.restore();
            },
          ],
        },
      },
      [data.x, data.fill, data.forecast, mark],
      holder
    );
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(240, holder.clientWidth), height: 220 });
    });
  }

  function charts(root) {
    (root || document).querySelectorAll("[data-fill-chart]").forEach(chart);
  }

  function start() {
    var element = document.getElementById("ops-map");
    if (element) load(element);
    charts(document);
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target.id !== "bin-panel") return;
      charts(event.detail.target);
      var heading = event.detail.target.querySelector("h2");
      if (heading) {
        heading.focus({ preventScroll: true });
        event.detail.target.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
