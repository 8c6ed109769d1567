/* Klyngeplan: draws the Plotly figures the server embeds, wires map metric switches and
   click-through, and keeps everything local (no CDN, no tiles, no topojson download). */
(function () {
  "use strict";

  // Maps use our own GeoJSON with every base layer hidden. plotly.js still asks for its world
  // topojson when a trace has a locationmode; give it an empty one so it never fetches.
  function prepareGeoAssets() {
    if (typeof window.Plotly === "undefined") return;
    registerLocale();
    window.PlotlyGeoAssets = window.PlotlyGeoAssets || { topojson: {} };
    var empty = { type: "Topology", objects: {}, arcs: [] };
    ["world_110m", "world_50m", "europe_110m", "europe_50m"].forEach(function (name) {
      if (!window.PlotlyGeoAssets.topojson[name]) window.PlotlyGeoAssets.topojson[name] = empty;
    });
  }

  var geojsonCache = {};
  function loadGeojson(url) {
    if (!geojsonCache[url]) {
      geojsonCache[url] = fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (!r.ok) throw new Error("GeoJSON " + r.status);
        return r.json();
      });
    }
    return geojsonCache[url];
  }

  function geojsonUrlOf(data) {
    for (var i = 0; i < data.length; i++) {
      if (typeof data[i].geojson === "string") return data[i].geojson;
    }
    return null;
  }

  // Replace the URL by the parsed object so every map on the page shares one download.
  function withGeojson(data, geo) {
    return data.map(function (t) {
      if (typeof t.geojson === "string") {
        var copy = Object.assign({}, t);
        copy.geojson = geo;
        return copy;
      }
      return t;
    });
  }

  function bboxOf(geo, codes) {
    var want = {};
    codes.forEach(function (c) { want[String(c)] = true; });
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(coords) {
      if (typeof coords[0] === "number") {
        box[0] = Math.min(box[0], coords[0]); box[1] = Math.min(box[1], coords[1]);
        box[2] = Math.max(box[2], coords[0]); box[3] = Math.max(box[3], coords[1]);
      } else coords.forEach(walk);
    }
    geo.features.forEach(function (f) {
      if (want[String(f.id)] && f.geometry) walk(f.geometry.coordinates);
    });
    return box[0] === Infinity ? null : box;
  }

  // The modebar in the page's language: plotly.js ships English only, so Danish is
  // registered here (its own keys, the English button titles).
  var DANISH = {
    moduleType: "locale",
    name: "da",
    dictionary: {
      "Download plot as a png": "Hent grafen som PNG",
      "Download plot as a PNG": "Hent grafen som PNG",
      "Download plot": "Hent grafen",
      "Zoom": "Zoom",
      "Pan": "Panorér",
      "Box Select": "Vælg med rektangel",
      "Lasso Select": "Vælg med lasso",
      "Zoom in": "Zoom ind",
      "Zoom out": "Zoom ud",
      "Autoscale": "Tilpas akser",
      "Reset axes": "Nulstil akser",
      "Reset view": "Nulstil visning",
      "Reset": "Nulstil",
      "Toggle Spike Lines": "Hjælpelinjer til/fra",
      "Show closest data on hover": "Vis nærmeste data ved musen",
      "Compare data on hover": "Sammenlign data ved musen",
      "Toggle show closest data on hover": "Nærmeste data ved musen til/fra",
      "Produced with Plotly.js": "Lavet med Plotly.js",
      "Double-click to zoom back out": "Dobbeltklik for at zoome ud igen",
      "Snapshot succeeded": "Billedet er hentet",
      "Taking snapshot - this may take a few seconds": "Laver billedet – det kan tage et par sekunder",
      "Sorry, there was a problem downloading your snapshot!": "Beklager, billedet kunne ikke hentes!",
      "Click to enter Colorscale title": "Klik for at skrive farveskalaens titel",
      "Click to enter Plot title": "Klik for at skrive grafens titel",
      "Click to enter X axis title": "Klik for at skrive x-aksens titel",
      "Click to enter Y axis title": "Klik for at skrive y-aksens titel",
    },
    format: {
      days: ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
      shortDays: ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
      months: ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
        "september", "oktober", "november", "december"],
      shortMonths: ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt",
        "nov", "dec"],
      date: "%d.%m.%Y",
      decimal: ",",
      thousands: ".",
    },
  };
  var registered = false;
  function registerLocale() {
    if (registered || typeof window.Plotly === "undefined") return;
    window.Plotly.register(DANISH);
    registered = true;
  }

  var config = {
    locale: (document.documentElement.lang || "da").slice(0, 2),
    responsive: true,
    displaylogo: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    // Nothing leaves the server: no "edit in Chart Studio" or "send to cloud" button.
    showSendToCloud: false,
    showEditInChartStudio: false,
    showLink: false,
  };

  function draw(el, spec, data, layout) {
    var url = geojsonUrlOf(data);
    var ready = url ? loadGeojson(url) : Promise.resolve(null);
    return ready.then(function (geo) {
      var traces = geo ? withGeojson(data, geo) : data;
      var lay = JSON.parse(JSON.stringify(layout));
      if (geo && spec.fit && spec.fit.length) {
        var b = bboxOf(geo, spec.fit);
        if (b) {
          var padX = (b[2] - b[0]) * 0.08 + 0.05, padY = (b[3] - b[1]) * 0.08 + 0.03;
          lay.geo = Object.assign({}, lay.geo, {
            fitbounds: false,
            lonaxis: { range: [b[0] - padX, b[2] + padX] },
            lataxis: { range: [b[1] - padY, b[3] + padY] },
          });
        }
      }
      return Plotly.react(el, traces, lay, config);
    }).then(function (gd) {
      el.dataset.rendered = "true";
      return gd;
    }).catch(function (err) {
      el.dataset.rendered = "error";
      el.insertAdjacentHTML("beforeend", '<p class="error">' + String(err) + "</p>");
    });
  }

  // A map with several metrics comes compact (reports/charts.py municipality_map): the
  // municipalities once, then per metric its values. Build the traces here.
  function choroplethTraces(spec, key) {
    var b = spec.base, v = spec.variants[key];
    var have = [], miss = [];
    v.z.forEach(function (z, i) { (z === null ? miss : have).push(i); });
    function pick(arr, idx) { return idx.map(function (i) { return arr[i]; }); }
    function custom(idx) { return idx.map(function (i) { return [b.links[i], b.extra[i]]; }); }
    var line = { color: "white", width: 0.6 };
    var traces = [];
    if (miss.length) {
      traces.push({
        type: "choropleth", geojson: b.geojson, featureidkey: "id",
        locations: pick(b.codes, miss), z: miss.map(function () { return 0; }),
        text: pick(b.names, miss), customdata: custom(miss),
        colorscale: [[0, "#C8C8C8"], [1, "#C8C8C8"]], showscale: false, marker: { line: line },
        hovertemplate: "<b>%{text}</b><br>%{customdata[1]}<br>" + b.missing + "<extra></extra>",
        name: b.missing,
      });
    }
    var z = pick(v.z, have);
    var t = {
      type: "choropleth", geojson: b.geojson, featureidkey: "id",
      locations: pick(b.codes, have), z: z, text: pick(b.names, have), customdata: custom(have),
      marker: { line: line }, colorbar: { thickness: 14, len: 0.8 }, name: v.label,
      hovertemplate: "<b>%{text}</b><br>%{customdata[1]}<br>" + v.label + ": %{z:" + v.fmt + "}<extra></extra>",
    };
    if (v.diverging) {
      var bound = Math.max.apply(null, z.map(Math.abs)) || 1;
      Object.assign(t, { colorscale: "RdBu", reversescale: !!v.reverse, zmid: 0, zmin: -bound, zmax: bound });
    } else {
      Object.assign(t, { colorscale: "Viridis", reversescale: true });
    }
    traces.push(t);
    // GP shortage municipalities (PLO 2019), outlined on top; hover and clicks fall through.
    if (b.marked && b.marked.length) {
      traces.push({
        type: "choropleth", geojson: b.geojson, featureidkey: "id",
        locations: b.marked, z: b.marked.map(function () { return 0; }),
        colorscale: [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], showscale: false,
        marker: { line: { color: "#D55E00", width: 2.2 } }, hoverinfo: "skip", name: b.marked_label,
      });
    }
    return traces;
  }

  function render(el) {
    var source = document.getElementById(el.dataset.figure);
    if (!source || el.dataset.bound) return;
    el.dataset.bound = "true";
    var spec = JSON.parse(source.textContent);
    var data = spec.base ? choroplethTraces(spec, spec.variant) : spec.data;
    draw(el, spec, data, spec.layout).then(function () {
      if (!el.on) return;
      el.on("plotly_click", function (ev) {
        var p = ev && ev.points && ev.points[0];
        var target = p && p.customdata && (Array.isArray(p.customdata) ? p.customdata[0] : p.customdata);
        if (typeof target === "string" && target.charAt(0) === "/") window.location.href = target;
      });
    });
    // A metric switch for maps: <select data-variant-for="figure-element-id">.
    document.querySelectorAll('select[data-variant-for="' + el.id + '"]').forEach(function (sel) {
      sel.addEventListener("change", function () {
        var v = spec.variants && spec.variants[sel.value];
        if (!v || !spec.base) return;
        var layout = Object.assign({}, spec.layout, { title: Object.assign({}, spec.layout.title, { text: v.title }) });
        draw(el, spec, choroplethTraces(spec, sel.value), layout);
        var u = new URL(window.location.href);
        u.searchParams.set(sel.name, sel.value);
        window.history.replaceState(null, "", u);
      });
    });
  }

  // The scenario editor's live preview (reports/scenario_views.scenario_preview): htmx
  // swaps in #preview-body with the figures' JSON; they are drawn into elements that stay,
  // so Plotly.react updates the charts in place instead of drawing them anew.
  function drawSpec(el, spec, variant) {
    var key = spec.base ? (spec.variants[variant] ? variant : spec.variant) : null;
    var data = key ? choroplethTraces(spec, key) : spec.data;
    var layout = spec.layout;
    if (key) {
      layout = Object.assign({}, layout, { title: Object.assign({}, layout.title, { text: spec.variants[key].title }) });
    }
    return draw(el, spec, data, layout);
  }

  function drawPreview() {
    var panel = document.querySelector("[data-preview]");
    var body = document.getElementById("preview-body");
    if (!panel || !body || body.dataset.drawn) return;
    body.dataset.drawn = "true";
    panel.dataset.state = body.dataset.state || "pending";
    if (body.dataset.state !== "fresh" || typeof window.Plotly === "undefined") return;
    prepareGeoAssets();
    var metric = panel.querySelector("[data-preview-metric]");
    panel.querySelectorAll("[data-preview-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.previewFigure);
      if (!source) return;
      el.previewSpec = JSON.parse(source.textContent);
      drawSpec(el, el.previewSpec, metric && metric.value);
    });
  }
  document.addEventListener("htmx:oobAfterSwap", drawPreview);
  document.addEventListener("htmx:afterSettle", drawPreview);
  document.addEventListener("change", function (ev) {
    var sel = ev.target;
    if (!sel.matches || !sel.matches("select[data-preview-metric]")) return;
    var el = document.getElementById("preview-map");
    if (el && el.previewSpec) drawSpec(el, el.previewSpec, sel.value);
  });

  function renderAll(root) {
    if (typeof window.Plotly === "undefined") return;
    prepareGeoAssets();
    (root || document).querySelectorAll("[data-figure]").forEach(render);
  }

  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  document.addEventListener("htmx:afterSettle", function (ev) { renderAll(ev.target); });
  // Printing: the charts take the page's width (and back after), so nothing is cut off.
  function resizeCharts() {
    if (typeof window.Plotly === "undefined") return;
    document.querySelectorAll(".js-plotly-plot").forEach(function (gd) { Plotly.Plots.resize(gd); });
  }
  window.addEventListener("beforeprint", resizeCharts);
  window.addEventListener("afterprint", resizeCharts);
  if (window.matchMedia) {
    var printing = window.matchMedia("print");
    if (printing.addEventListener) printing.addEventListener("change", resizeCharts);
  }

  // Split of the capacities: show the running sum next to the fields, before any request.
  function updateSplit(form) {
    var total = Number(form.querySelector('[name="total"]').value || 0);
    var sum = ["transition", "coverage", "accessibility"].reduce(function (acc, n) {
      return acc + Number(form.querySelector('[name="' + n + '"]').value || 0);
    }, 0);
    var out = form.querySelector("[data-split-sum]");
    if (out) {
      out.textContent = out.dataset.template.replace("{sum}", sum.toLocaleString(document.documentElement.lang)).replace("{total}", total.toLocaleString(document.documentElement.lang));
      out.classList.toggle("bad", sum !== total);
    }
  }
  document.addEventListener("input", function (ev) {
    var form = ev.target.closest && ev.target.closest("form[data-split]");
    if (form) updateSplit(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-split]").forEach(updateSplit);
  });

  // Behaviour that would otherwise be inline handlers, which the Content-Security-Policy
  // forbids: <button data-print>, <button data-toggle-rows="cls">. (Selects never submit
  // their form on change: a keyboard user moving through the options would leave the
  // page at the first arrow key. Each form has its button.)
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest && ev.target.closest("[data-print], [data-toggle-rows]");
    if (!el) return;
    if (el.hasAttribute("data-print")) {
      window.print();
      return;
    }
    var open = el.getAttribute("aria-expanded") === "true";
    el.setAttribute("aria-expanded", String(!open));
    document.querySelectorAll("." + el.dataset.toggleRows).forEach(function (row) {
      row.hidden = open;
    });
  });
})();
