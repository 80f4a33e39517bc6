/* The map kit's script (Leaflet), for the `map` macro in templates/_map.html. An enhancement: every page
 * works and says the same in words without it.
 *  - [data-map="points"]: the features of data-geojson-url, each with a popup (link, ward, status);
 *  - [data-map="point"]: one place (data-lat, data-lng, data-title);
 *  - [data-map="pick"]: pick a point into the fields named by data-lat-input / data-lng-input, with the mouse
 *    (click, drag) or the keyboard (arrow keys move the map, a button puts the point in its middle, arrow keys
 *    on the chosen point move it); typing in the fields moves the point. With data-ward-input (a ward select)
 *    and data-wards (each ward's centre and box), the map opens on the chosen ward and a point far outside it
 *    is questioned at once (the server asks again when the form is sent).
 * Pins are never in the tab order; the "Skip the map" link is shown with the map. Tiles come from data-tiles
 * (the MAP_TILE_URL setting); without it the map shows points only. No inline script (the CSP forbids it);
 * every text from the server is set with textContent.
 */
(function () {
  "use strict";
  if (!window.L || !document.querySelector) { return; }

  function json(el, name, fallback) {
    try { return JSON.parse(el.getAttribute(name)); } catch (e) { return fallback; }
  }

  function baseMap(el, zoom, options) {
    el.hidden = false;
    var skip = document.querySelector('[data-map-skip="' + el.id + '"]');
    if (skip) { skip.hidden = false; }
    var bounds = L.latLngBounds(json(el, "data-bounds", [[51.28, -0.52], [51.70, 0.34]]));
    var map = L.map(el, L.extend({ scrollWheelZoom: false, maxBounds: bounds.pad(0.1) }, options || {}))
      .setView(json(el, "data-centre", [51.5145, -0.1575]), zoom);
    var tiles = el.getAttribute("data-tiles");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    map.civicBounds = bounds;
    return map;
  }

  function popup(props) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = props.url;
    link.textContent = props.title;
    box.appendChild(link);
    var words = [props.ward, props.status];
    if (typeof props.supports_count === "number") {
      words.push(props.supports_count + (props.supports_count === 1 ? " support" : " supports"));
    }
    var meta = document.createElement("p");
    meta.textContent = words.filter(Boolean).join(" · ");
    box.appendChild(meta);
    return box;
  }

  function showPoints(el) {
    // Not a tab stop: the list on the page is the way through by keyboard.
    var map = baseMap(el, 13, { keyboard: false });
    fetch(el.getAttribute("data-geojson-url"), { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.features) { return; }
        var layer = L.geoJSON(data, {
          pointToLayer: function (feature, latlng) {
            var title = feature.properties.title;
            return L.marker(latlng, { title: title, alt: title, keyboard: false });
          },
          onEachFeature: function (feature, marker) { marker.bindPopup(popup(feature.properties)); }
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [24, 24] }); }
      })
      .catch(function () { el.hidden = true; });
  }

  function showPoint(el) {
    var point = [parseFloat(el.getAttribute("data-lat")), parseFloat(el.getAttribute("data-lng"))];
    if (isNaN(point[0]) || isNaN(point[1])) { return; }
    var map = baseMap(el, 16, { keyboard: false });
    map.setView(point, 16);
    var title = el.getAttribute("data-title") || "";
    L.marker(point, { title: title, alt: title, keyboard: false }).addTo(map);
  }

  function metresOutside(box, latlng) {
    var dy = Math.max(box[0][0] - latlng.lat, 0, latlng.lat - box[1][0]) * 111320;
    var dx = Math.max(box[0][1] - latlng.lng, 0, latlng.lng - box[1][1]) * 111320 * Math.cos(latlng.lat * Math.PI / 180);
    return Math.sqrt(dx * dx + dy * dy);
  }

  function pick(el) {
    var latInput = document.getElementById(el.getAttribute("data-lat-input"));
    var lngInput = document.getElementById(el.getAttribute("data-lng-input"));
    if (!latInput || !lngInput) { return; }
    var wardInput = document.getElementById(el.getAttribute("data-ward-input") || "");
    var wards = json(el, "data-wards", {}) || {};
    var far = parseFloat(el.getAttribute("data-far")) || 1000;
    var status = document.getElementById(el.id + "-status");
    var keys = document.getElementById(el.id + "-keys");
    var map = baseMap(el, 14);
    var marker = null;
    if (keys) { keys.hidden = false; }

    var tools = document.createElement("div");
    tools.className = "actions map-tools";
    var centre = document.createElement("button");
    centre.type = "button";
    centre.className = "button-secondary";
    centre.textContent = "Put the point in the middle of the map";
    var clear = document.createElement("button");
    clear.type = "button";
    clear.className = "button-secondary";
    clear.textContent = "Clear the point";
    tools.appendChild(centre);
    tools.appendChild(clear);
    el.parentNode.insertBefore(tools, el.nextSibling);

    function say(text) {
      if (status) { status.hidden = false; status.textContent = text; }
    }

    function ward() {
      if (!wardInput || wardInput.selectedIndex < 0) { return null; }
      var name = wardInput.options[wardInput.selectedIndex].text;
      return wards[name] ? { name: name, area: wards[name] } : null;
    }

    function question(latlng) {
      var w = ward();
      if (!w || metresOutside(w.area.bounds, latlng) <= far) { return ""; }
      var km = map.distance(latlng, L.latLng(w.area.centre)) / 1000;
      return " This point is about " + km.toFixed(1) + " km from the middle of " + w.name +
        " ward, well outside it: check the point and the ward.";
    }

    function place(latlng, announce) {
      if (!map.civicBounds.contains(latlng)) {
        say("That point is outside Greater London. Choose a point in London.");
        return;
      }
      latInput.value = latlng.lat.toFixed(6);
      lngInput.value = latlng.lng.toFixed(6);
      if (marker) { marker.setLatLng(latlng); } else {
        marker = L.marker(latlng, { draggable: true, keyboard: true, title: "The chosen point (arrow keys move it)",
                                    alt: "The chosen point" }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng(), true); });
        marker.getElement().addEventListener("keydown", nudge);
      }
      clear.hidden = false;
      if (announce) { say("Point chosen: latitude " + latInput.value + ", longitude " + lngInput.value + "." + question(latlng)); }
    }

    function nudge(event) {
      var steps = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
      if (!steps || !marker) { return; }
      event.preventDefault();
      event.stopPropagation();
      var metres = event.shiftKey ? 100 : 10;
      var at = marker.getLatLng();
      var moved = L.latLng(at.lat + steps[0] * metres / 111320,
                           at.lng + steps[1] * metres / (111320 * Math.cos(at.lat * Math.PI / 180)));
      place(moved, true);
      map.panTo(moved);
    }

    function fromFields() {
      var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
      if (isNaN(lat) || isNaN(lng)) { return; }
      place(L.latLng(lat, lng), true);
      map.setView([lat, lng], Math.max(map.getZoom(), 15));
    }

    var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
    if (!isNaN(lat) && !isNaN(lng)) {
      place(L.latLng(lat, lng), false);
      map.setView([lat, lng], 16);
      say("A point is chosen: latitude " + latInput.value + ", longitude " + lngInput.value + ". Click the map to move it.");
    } else {
      clear.hidden = true;
      var w = ward();
      if (w) { map.setView(w.area.centre, 15); }
      say("Click the map to choose the point (optional), or type its latitude and longitude.");
    }

    map.on("click", function (event) { place(event.latlng, true); });
    centre.addEventListener("click", function () { place(map.getCenter(), true); });
    latInput.addEventListener("change", fromFields);
    lngInput.addEventListener("change", fromFields);
    if (wardInput) {
      wardInput.addEventListener("change", function () {
        var w = ward();
        if (marker) {
          var doubt = question(marker.getLatLng());
          if (doubt) { say(doubt.trim()); }
        } else if (w) {
          map.setView(w.area.centre, 15);
        }
      });
    }
    clear.addEventListener("click", function () {
      latInput.value = "";
      lngInput.value = "";
      if (marker) { map.removeLayer(marker); marker = null; }
      clear.hidden = true;
      say("The point is cleared.");
    });
  }

  document.querySelectorAll('[data-map="points"]').forEach(showPoints);
  document.querySelectorAll('[data-map="point"]').forEach(showPoint);
  document.querySelectorAll('[data-map="pick"]').forEach(pick);
}());
