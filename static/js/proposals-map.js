/* Proposals maps (Leaflet), an enhancement: every page works without them.
 *  - [data-geojson-url]: the map of a filtered list of proposals (GeoJSON from proposals.geojson);
 *  - [data-point]: one proposal's point (data-lat, data-lng, data-title);
 *  - [data-picker]: choose a point; fills the hidden inputs named by data-lat-input / data-lng-input.
 * Tiles come from data-tiles (the MAP_TILE_URL setting); without it the map shows points only.
 * No inline script (the CSP forbids it); every text from the server is set with textContent.
 */
(function () {
  "use strict";
  if (!window.L || !document.querySelector) { return; }

  var CENTRE = [51.5145, -0.1575];  // Westminster
  var LONDON = L.latLngBounds([51.28, -0.52], [51.70, 0.34]);

  function baseMap(el, zoom) {
    el.hidden = false;
    var map = L.map(el, { scrollWheelZoom: false, maxBounds: LONDON.pad(0.1) }).setView(CENTRE, zoom || 13);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    return map;
  }

  function popup(props) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    var meta = document.createElement("p");
    meta.textContent = props.ward + " · " + props.status + " · " + props.supports_count +
      (props.supports_count === 1 ? " support" : " supports");
    box.appendChild(link);
    box.appendChild(meta);
    return box;
  }

  document.querySelectorAll("[data-geojson-url]").forEach(function (el) {
    var map = baseMap(el, 13);
    fetch(el.getAttribute("data-geojson-url"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.features) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            return L.marker(latlng, { title: feature.properties.title, alt: feature.properties.title });
          },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [24, 24] }); }
      })
      .catch(function () { el.hidden = true; });
  });

  document.querySelectorAll("[data-point]").forEach(function (el) {
    var point = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lng"))];
    if (isNaN(point[0]) || isNaN(point[1])) { return; }
    var map = baseMap(el, 16);
    map.setView(point, 16);
    var title = el.getAttribute("data-title") || "";
    L.marker(point, { title: title, alt: title, keyboard: false }).addTo(map);
  });

  document.querySelectorAll("[data-picker]").forEach(function (el) {
    var latInput = document.getElementById(el.getAttribute("data-lat-input"));
    var lngInput = document.getElementById(el.getAttribute("data-lng-input"));
    if (!latInput || !lngInput) { return; }
    var status = document.getElementById(el.id + "-status");
    var map = baseMap(el, 14);
    var marker = null;

    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "button-secondary";
    clear.textContent = "Clear the point";
    el.parentNode.insertBefore(clear, el.nextSibling);

    function say(text) {
      if (status) { status.hidden = false; status.textContent = text; }
    }

    function place(latlng, announce) {
      if (!LONDON.contains(latlng)) {
        say("That point is outside Greater London. Choose a point in London.");
        return;
      }
      latInput.value = latlng.lat.toFixed(6);
      lngInput.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.marker(latlng, { draggable: true, title: "The point of your proposal", alt: "The point of your proposal" }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), true); });
      }
      clear.hidden = false;
      if (announce) { say("Point chosen: latitude " + latInput.value + ", longitude " + lngInput.value + "."); }
    }

    var lat = parseFloat(el.getAttribute("data-lat"));
    var lng = parseFloat(el.getAttribute("data-lng"));
    if (!isNaN(lat) && !isNaN(lng)) {
      place(L.latLng(lat, lng), false);
      map.setView([lat, lng], 16);
      say("A point is chosen: latitude " + latInput.value + ", longitude " + lngInput.value + ". Click the map to move it.");
    } else {
      clear.hidden = true;
      say("Click the map to choose the point of your proposal (optional).");
    }

    map.on("click", function (event) { place(event.latlng, true); });
    clear.addEventListener("click", function () {
      latInput.value = "";
      lngInput.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      clear.hidden = true;
      say("The point is cleared.");
    });
  });
}());
