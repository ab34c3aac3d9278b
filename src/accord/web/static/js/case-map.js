// The supervisor's map of cases: district outlines from GeoJSON (no tile server), shaded by
// the number of open cases, with the count as a permanent label. Data: #case-map-config.
(function () {
  "use strict";
  var holder = document.getElementById("case-map");
  var config = document.getElementById("case-map-config");
  if (!holder || !config || typeof L === "undefined") { return; }
  var data = JSON.parse(config.textContent);
  var counts = data.geojson.features.map(function (f) { return f.properties.cases || 0; });
  var most = Math.max.apply(null, counts.concat([1]));
  var map = L.map(holder, { attributionControl: false, zoomControl: false, zoomSnap: 0.25 });
  L.control.zoom({ zoomInTitle: data.strings.zoomIn, zoomOutTitle: data.strings.zoomOut }).addTo(map);
  var layer = L.geoJSON(data.geojson, {
    style: function (feature) {
      var share = (feature.properties.cases || 0) / most;
      return { color: "#1f4e79", weight: 1.5, dashArray: feature.properties.synthetic ? "4 3" : null,
               fillColor: "#c0392b", fillOpacity: 0.08 + 0.6 * share };
    },
    onEachFeature: function (feature, shape) {
      var p = feature.properties;
      var text = p.name + " · " + data.strings.cases + ": " + (p.cases || 0);
      if (p.synthetic) { text += " (" + data.strings.synthetic + ")"; }
      shape.bindTooltip(text, { permanent: true, direction: "center", className: "district-label" });
      shape.getElement && shape.on("add", function () {
        var el = shape.getElement();
        if (el) { el.setAttribute("data-district", p.name); el.setAttribute("data-cases", p.cases || 0); }
      });
    }
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  holder.setAttribute("data-ready", "yes");
})();
