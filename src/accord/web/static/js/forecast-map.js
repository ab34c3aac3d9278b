/* The hotspot map: flagged cells and district outlines from Accord's own GeoJSON on a plain
 * background (no external tiles). Running a forecast posts to /forecast/map/run, which goes
 * through the governed gateway; the answer carries the ledger entry and the review state.
 * Clicking a cell asks /forecast/decisions/<id>/explain which past events make it hot. */
(function () {
  "use strict";

  var configElement = document.getElementById("forecast-config");
  var mapElement = document.getElementById("forecast-map");
  if (!configElement || !mapElement || !window.L) {
    return;
  }
  var config = JSON.parse(configElement.textContent);
  var S = config.strings || {};
  var COLOURS = ["#d4d4d4", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function t(key, params) {
    var text = S[key] || key;
    if (params) {
      text = text.replace(/%\((\w+)\)s/g, function (_, name) {
        return params[name] === undefined || params[name] === null ? "" : String(params[name]);
      });
    }
    return text.replace(/%%/g, "%");
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function pct(value, digits) {
    return (100 * (value || 0)).toFixed(digits === undefined ? 0 : digits);
  }

  var map = L.map(mapElement, { zoomSnap: 0.25, attributionControl: true, preferCanvas: false });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution(t("district_outline"));
  map.setView([0, 0], 2);

  var districtLayer = null;
  var labelLayer = L.layerGroup().addTo(map);
  var cellLayer = null;
  var contributorLayer = L.layerGroup().addTo(map);
  var selected = null;
  var current = null;
  var districtKey = "";
  var fitted = false;
  var cache = {};
  var lastParams = null;
  var sliderDates = [];

  var form = document.getElementById("forecast-form");
  var busy = document.getElementById("forecast-busy");
  var info = document.getElementById("forecast-info");
  var explainBox = document.getElementById("forecast-explain");
  var cellsBox = document.getElementById("forecast-cells");
  var exportsBox = document.getElementById("forecast-exports");
  var denialBox = document.getElementById("forecast-denial");
  var legend = document.getElementById("forecast-legend");
  var sliderBox = document.getElementById("forecast-slider-box");
  var slider = document.getElementById("forecast-slider");
  var sliderLabel = document.getElementById("forecast-slider-label");

  // -- district outlines ---------------------------------------------------------------------
  function loadDistricts(dataset, cell) {
    var key = dataset + "|" + cell;
    if (!dataset || key === districtKey) {
      return Promise.resolve();
    }
    districtKey = key;
    var url = "/forecast/districts.geojson?dataset=" + encodeURIComponent(dataset) +
      "&cell=" + encodeURIComponent(cell);
    return fetch(url, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (districtLayer) {
          map.removeLayer(districtLayer);
        }
        labelLayer.clearLayers();
        if (!data || !data.features.length) {
          districtLayer = null;
          return;
        }
        districtLayer = L.geoJSON(data, {
          className: "forecast-district",
          interactive: false,
          style: function () {
            return { color: "#39424e", weight: 1.2, opacity: 0.8, dashArray: "4 3", fill: false };
          }
        }).addTo(map);
        districtLayer.bringToBack();
        data.features.forEach(function (feature) {
          var at = feature.properties.label;
          L.marker([at[1], at[0]], {
            interactive: false, keyboard: false,
            icon: L.divIcon({ className: "district-label", html: "", iconSize: null })
          }).addTo(labelLayer).getElement().textContent = feature.properties.district;
        });
        if (!fitted) {
          map.fitBounds(districtLayer.getBounds(), { padding: [10, 10] });
          fitted = true;
        }
      });
  }

  // -- rendering a forecast ------------------------------------------------------------------
  function styleFor(feature) {
    var cls = feature.properties.intensity_class || 0;
    return { color: "#7f2704", weight: 0.6, opacity: 0.9, fillColor: COLOURS[cls], fillOpacity: 0.78 };
  }

  function renderLegend(fc) {
    legend.textContent = "";
    if (!fc) {
      return;
    }
    legend.appendChild(el("li", { text: t("legend_title") + ":" }));
    var low = fc.intensity_min || 0;
    (fc.intensity_breaks || []).forEach(function (upper, index) {
      var swatch = el("span", { "class": "swatch", style: "background:" + COLOURS[index + 1] });
      legend.appendChild(el("li", {}, [swatch, low.toFixed(2) + "–" + upper.toFixed(2)]));
      low = upper;
    });
    if (fc.flagged_cells > fc.explained_cells) {
      legend.appendChild(el("li", {}, [
        el("span", { "class": "swatch", style: "background:" + COLOURS[0] }),
        t("legend_unexplained")]));
    }
    legend.appendChild(el("li", {}, [
      el("span", { "class": "swatch", style: "background:#fff;border:1px dashed #39424e" }),
      t("district_outline")]));
    legend.appendChild(el("li", {}, [
      el("span", { "class": "swatch", style: "background:#2f6fb3;border-radius:50%;width:.8rem" }),
      t("contributors_legend")]));
  }

  function renderInfo(fc) {
    var d = fc.decision;
    info.textContent = "";
    info.appendChild(el("h2", { text: t("forecast") + " " + fc.window.start + " – " + fc.window.end }));
    var seq = config.canSeeLedger
      ? el("a", { href: "/ledger/entries/" + d.ledger_seq, text: String(d.ledger_seq) })
      : document.createTextNode(String(d.ledger_seq));
    var facts = el("dl", { "class": "facts" }, [
      el("dt", { text: t("ledger_entry") }), el("dd", { "data-testid": "ledger-seq" }, [seq]),
      el("dt", { text: t("decision") }), el("dd", {}, [el("code", { "data-testid": "decision-id", text: d.id })]),
      el("dt", { text: t("review_status") }),
      el("dd", {}, [el("span", { "class": "badge " + d.review_status, "data-testid": "review-status",
        "data-status": d.review_status, text: (S.review_labels || {})[d.review_status] || d.review_status })])
    ]);
    info.appendChild(facts);
    if (d.review_status === "pending") {
      info.appendChild(el("p", { "class": "notice pending", "data-testid": "review-pending",
        text: t("review_pending", { role: (S.roles || {})[d.review_role] || d.review_role }) }));
    }
    info.appendChild(el("p", { text: t("flagged", {
      cells: fc.flagged_cells, coverage: fc.coverage_percent,
      share: pct(fc.expected_share_in_flagged), total: Math.round(fc.expected_events_total || 0)
    }) }));
    info.appendChild(el("p", { "class": "muted", lang: "en", text: d.explanation || "" }));
  }

  function renderTable(fc) {
    cellsBox.textContent = "";
    var rows = fc.features.slice(0, 25).map(function (feature) {
      var p = feature.properties;
      var button = el("button", { type: "button", "class": "secondary", "data-cell": p.cell,
        text: t("explain_button") });
      button.addEventListener("click", function () { explain(p.cell); });
      return el("tr", {}, [
        el("td", { "class": "num", text: String(p.rank) }),
        el("td", {}, [el("code", { text: p.cell })]),
        el("td", { "class": "num", text: p.expected_events === null ? "—" : p.expected_events.toFixed(2) }),
        el("td", {}, [button])
      ]);
    });
    var head = el("tr", {}, [el("th", { scope: "col", "class": "num", text: t("rank") }),
      el("th", { scope: "col", text: t("cell") }),
      el("th", { scope: "col", "class": "num", text: t("expected_events") }), el("th", { scope: "col" })]);
    cellsBox.appendChild(el("table", { "class": "compact" }, [el("thead", {}, [head]), el("tbody", {}, rows)]));
    var id = encodeURIComponent(fc.decision.id);
    exportsBox.textContent = "";
    exportsBox.appendChild(document.createTextNode(t("export") + ": "));
    exportsBox.appendChild(el("a", { href: "/forecast/decisions/" + id + "/cells.geojson", download: "", text: "GeoJSON" }));
    exportsBox.appendChild(document.createTextNode(" · "));
    exportsBox.appendChild(el("a", { href: "/forecast/decisions/" + id + "/cells.csv", download: "", text: "CSV" }));
  }

  function render(fc) {
    current = fc;
    selected = null;
    contributorLayer.clearLayers();
    if (cellLayer) {
      map.removeLayer(cellLayer);
    }
    cellLayer = L.geoJSON(fc, {
      className: "forecast-cell",
      style: styleFor,
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var label = t("cell") + " " + p.cell + " · " + t("rank") + " " + p.rank + " · " +
          t("expected_events") + " " + (p.expected_events === null
            ? t("not_explained", { count: fc.explained_cells }) : p.expected_events.toFixed(2));
        layer.bindTooltip(label, { sticky: true });
        layer.on("click", function () { explain(p.cell); });
      }
    }).addTo(map);
    cellLayer.eachLayer(function (layer) {
      var path = layer.getElement();
      if (path) {
        path.setAttribute("data-cell", layer.feature.properties.cell);
        path.setAttribute("data-rank", String(layer.feature.properties.rank));
      }
    });
    if (!fitted && fc.bbox) {
      map.fitBounds([[fc.bbox[1], fc.bbox[0]], [fc.bbox[3], fc.bbox[2]]], { padding: [20, 20] });
      fitted = true;
    }
    renderInfo(fc);
    renderTable(fc);
    renderLegend(fc);
    explainBox.textContent = "";
    explainBox.appendChild(el("p", { "class": "muted", text: S.explain_hint || "" }));
    mapElement.setAttribute("data-cells", String(fc.features.length));
    mapElement.setAttribute("data-decision", fc.decision.id);
  }

  // -- explanations --------------------------------------------------------------------------
  function explain(cell) {
    if (!current) {
      return;
    }
    if (selected) {
      cellLayer.resetStyle(selected);
    }
    cellLayer.eachLayer(function (layer) {
      if (layer.feature.properties.cell === cell) {
        selected = layer;
        layer.setStyle({ color: "#1d3a5f", weight: 3 });
        layer.bringToFront();
      }
    });
    explainBox.textContent = "";
    explainBox.appendChild(el("p", { "class": "muted", text: t("loading") }));
    var url = "/forecast/decisions/" + encodeURIComponent(current.decision.id) +
      "/explain?cell=" + encodeURIComponent(cell);
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error(typeof answer.body.detail === "string" ? answer.body.detail : "error");
        }
        renderExplanation(answer.body);
      })
      .catch(function (error) {
        explainBox.textContent = "";
        explainBox.appendChild(el("p", { "class": "alert error", role: "alert",
          text: t("failed", { detail: error.message }) }));
      });
  }

  function renderExplanation(body) {
    explainBox.textContent = "";
    explainBox.setAttribute("data-cell", body.cell);
    explainBox.appendChild(el("h2", { text: t("explain_title", { cell: body.cell }) }));
    var why = body.why || {};
    explainBox.appendChild(el("p", { "data-testid": "explain-summary", text: t("explain_summary", {
      expected: body.expected_events.toFixed(2), events: why.events || 0,
      first: why.first_day || "—", last: why.last_day || "—",
      own: pct(why.share_from_this_cell), recent: pct(why.share_from_last_56_days)
    }) }));
    contributorLayer.clearLayers();
    if (!body.contributors.length) {
      explainBox.appendChild(el("p", { "class": "muted", text: t("no_contributors") }));
    } else {
      explainBox.appendChild(el("h3", { text: t("explain_contributors") }));
      var rows = body.contributors.map(function (c) {
        if (c.centre) {
          L.circleMarker([c.centre[1], c.centre[0]], {
            className: "forecast-contributor", radius: 5, color: "#fff", weight: 1.5,
            fillColor: "#2f6fb3", fillOpacity: 0.9, interactive: false
          }).addTo(contributorLayer);
        }
        return el("tr", {}, [
          el("td", { "class": "nowrap", text: c.day }), el("td", {}, [el("code", { text: c.cell })]),
          el("td", { "class": "num", text: pct(c.weight, 2) + "%" }),
          el("td", { "class": "num", text: c.expected.toFixed(3) })
        ]);
      });
      var head = el("tr", {}, [el("th", { scope: "col", text: t("day") }),
        el("th", { scope: "col", text: t("contributor_cell") }),
        el("th", { scope: "col", "class": "num", text: t("share") }),
        el("th", { scope: "col", "class": "num", text: t("expected_events") })]);
      explainBox.appendChild(el("div", { "class": "table-scroll" }, [
        el("table", { "class": "compact", "data-testid": "explain-contributors" },
          [el("thead", {}, [head]), el("tbody", {}, rows)])]));
    }
    explainBox.appendChild(el("p", { "class": "muted", text: t("explain_recomputed", { seq: body.ledger_seq }) }));
  }

  // -- running (through the gateway) ---------------------------------------------------------
  function showDenial(body) {
    denialBox.textContent = "";
    denialBox.appendChild(el("h2", { text: t("refused") }));
    denialBox.appendChild(el("p", { "data-testid": "denial-summary", text: body.detail || "" }));
    var list = el("ul");
    (body.reasons || []).forEach(function (r) {
      list.appendChild(el("li", {}, [el("code", { text: r.policy_id }), " — " + r.reason]));
    });
    denialBox.appendChild(list);
    if (body.ledger_seq !== undefined && body.ledger_seq !== null) {
      denialBox.appendChild(el("p", { text: t("ledger_entry") + " " + body.ledger_seq }));
    }
    denialBox.hidden = false;
  }

  function paramsKey(params) {
    return ["dataset", "method", "window", "date", "coverage", "cell_size", "purpose", "legal_basis"]
      .map(function (name) { return params[name] || ""; }).join("|");
  }

  function run(params) {
    var key = paramsKey(params);
    if (cache[key]) {
      render(cache[key]);
      return Promise.resolve(cache[key]);
    }
    var body = new FormData();
    Object.keys(params).forEach(function (name) { body.append(name, params[name]); });
    busy.textContent = t("running");
    denialBox.hidden = true;
    return fetch("/forecast/map/run", {
      method: "POST", body: body, credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json", "X-CSRF-Token": csrf }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      busy.textContent = "";
      if (answer.status === 403 && answer.data.reasons) {
        showDenial(answer.data);
        return null;
      }
      if (answer.status !== 200) {
        var detail = typeof answer.data.detail === "string" ? answer.data.detail : JSON.stringify(answer.data.detail);
        throw new Error(detail);
      }
      cache[key] = answer.data;
      render(answer.data);
      return answer.data;
    }).catch(function (error) {
      busy.textContent = "";
      denialBox.textContent = "";
      denialBox.appendChild(el("p", { text: t("failed", { detail: error.message }) }));
      denialBox.hidden = false;
      return null;
    });
  }

  function shiftDate(iso, freq, steps) {
    var parts = iso.split("-").map(Number);
    var when = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    if (freq === "month") {
      when.setUTCMonth(when.getUTCMonth() + steps);
    } else {
      when.setUTCDate(when.getUTCDate() + steps * (freq === "week" ? 7 : 1));
    }
    return when.toISOString().slice(0, 10);
  }

  function setupSlider(params, fc) {
    var positions = config.sliderPositions || 8;
    var range = (config.ranges || {})[params.dataset] || {};
    var earliest = range.first ? shiftDate(range.first, "day", 28) : "";
    var base = fc.window.start;
    sliderDates = [];
    for (var i = positions - 1; i >= 0; i -= 1) {
      var when = shiftDate(base, fc.window.freq, -i);
      if (!earliest || when >= earliest) {
        sliderDates.push(when);
      }
    }
    if (sliderDates.length < 2) {
      sliderBox.hidden = true;
      return;
    }
    slider.max = String(sliderDates.length - 1);
    slider.value = String(sliderDates.length - 1);
    sliderLabel.textContent = t("slider_label", { date: base });
    sliderBox.hidden = false;
  }

  if (slider) {
    slider.addEventListener("input", function () {
      sliderLabel.textContent = t("slider_label", { date: sliderDates[Number(slider.value)] });
    });
    slider.addEventListener("change", function () {
      if (!lastParams) {
        return;
      }
      var params = Object.assign({}, lastParams, { date: sliderDates[Number(slider.value)] });
      run(params);
    });
  }

  function formParams() {
    var data = new FormData(form);
    var params = {};
    data.forEach(function (value, name) {
      if (name !== "csrf_token") {
        params[name] = value;
      }
    });
    return params;
  }

  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = formParams();
      loadDistricts(params.dataset, params.cell_size);
      run(params).then(function (fc) {
        if (fc) {
          lastParams = Object.assign({}, params, { date: fc.window.start, window: fc.window.freq });
          cache[paramsKey(lastParams)] = fc;
          setupSlider(lastParams, fc);
        }
      });
    });
    ["fc-dataset", "fc-cell"].forEach(function (id) {
      var input = document.getElementById(id);
      if (input) {
        input.addEventListener("change", function () {
          var params = formParams();
          loadDistricts(params.dataset, params.cell_size);
        });
      }
    });
  }

  S.explain_hint = explainBox ? explainBox.textContent.trim() : "";
  if (config.initial) {
    var grid = config.initial.grid || {};
    loadDistricts(config.initial.dataset, grid.cell_size_m || 150);
    render(config.initial);
  } else if (form) {
    var start = formParams();
    loadDistricts(start.dataset, start.cell_size);
  }
})();
