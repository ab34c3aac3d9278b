// Dispatch live board: server-sent events from the dispatch event log. The browser's
// EventSource reconnects by itself and sends Last-Event-ID, so the server resumes after the
// last event shown; the map draws the road network served by Accord (no external tiles).
(function () {
  "use strict";
  var state = document.getElementById("board-state");
  if (!state) { return; }
  var after = state.getAttribute("data-last-event") || "0";
  var words = JSON.parse(state.getAttribute("data-status-words") || "{}");
  function word(status) { return words[status] || status; }
  var types = JSON.parse(state.getAttribute("data-type-words") || "{}");
  function typeName(code) { return types[code] || code; }
  var incidents = document.getElementById("board-incidents");
  var units = document.getElementById("board-units");
  var markers = {};
  var map = null;
  var mapNode = document.getElementById("board-map");
  if (window.L && mapNode) {
    map = L.map(mapNode, { attributionControl: true }).setView([60.171, 24.944], 15);
    map.attributionControl.addAttribution(mapNode.getAttribute("data-attribution"));
    fetch("/dispatch/roads.geojson").then(function (r) { return r.json(); }).then(function (g) {
      L.geoJSON(g, { style: { color: "#888", weight: 1 } }).addTo(map);
    });
  }
  function row(list, attr, key, text) {
    var item = list.querySelector("[" + attr + '="' + key + '"]');
    if (!item) {
      item = document.createElement("li");
      item.setAttribute(attr, key);
      list.appendChild(item);
    }
    item.textContent = text;
  }
  function mark(key, lat, lon, label, colour) {
    if (!map) { return; }
    if (!markers[key]) { markers[key] = L.circleMarker([lat, lon], { radius: 6, color: colour }).addTo(map); }
    markers[key].setLatLng([lat, lon]).bindTooltip(label);
  }
  // What the page was drawn with: every listed incident and unit on the map from the start
  // (the events then move and recolour them).
  function markListed(list, attr, prefix, colour) {
    list.querySelectorAll("[" + attr + "]").forEach(function (item) {
      var lat = parseFloat(item.getAttribute("data-lat"));
      var lon = parseFloat(item.getAttribute("data-lon"));
      var key = item.getAttribute(attr);
      if (!isNaN(lat) && !isNaN(lon)) { mark(prefix + key, lat, lon, key, colour); }
    });
  }
  markListed(incidents, "data-ref", "i", "#c00");
  markListed(units, "data-unit", "u", "#06c");
  var source = new EventSource("/dispatch/board/events?after=" + encodeURIComponent(after));
  source.addEventListener("open", function () { state.textContent = state.getAttribute("data-live") || "live"; });
  source.addEventListener("error", function () { state.textContent = state.getAttribute("data-reconnecting") || "reconnecting"; });
  source.addEventListener("dispatch", function (message) {
    var event = JSON.parse(message.data);
    state.setAttribute("data-last-event", String(event.id));
    if (event.incident) {
      var i = event.incident;
      row(incidents, "data-ref", i.reference, i.reference + " P" + i.priority + " " + typeName(i.type) + " · " + word(i.status));
      mark("i" + i.reference, i.lat, i.lon, i.reference, "#c00");
    }
    if (event.unit) {
      var u = event.unit;
      var overdue = units.getAttribute("data-overdue") || "safety check overdue";
      row(units, "data-unit", u.call_sign, u.call_sign + " · " + word(u.status) + " " + (u.incident || "") +
          (u.safety_flagged ? " ⚠ " + overdue : ""));
      var item = units.querySelector('[data-unit="' + u.call_sign + '"]');
      if (u.safety_flagged) { item.setAttribute("data-safety", "overdue"); item.className = "alert"; }
      else { item.removeAttribute("data-safety"); item.className = ""; }
      mark("u" + u.call_sign, u.lat, u.lon, u.call_sign, "#06c");
    }
  });
})();
