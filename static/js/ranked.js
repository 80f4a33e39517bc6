/* Ranked questions with JavaScript: each option gets "Move up" and "Move down" buttons (keyboard and pointer),
   and the rank numbers follow the order. Without JavaScript the rank numbers are typed. */
(function () {
  "use strict";
  function renumber(list) {
    var items = list.querySelectorAll(".ranked-option");
    var ranked = 0;
    items.forEach(function (item) {
      var input = item.querySelector(".rank-input");
      if (input.value !== "") { ranked += 1; input.value = String(ranked); }
    });
  }
  function move(item, up) {
    var list = item.parentNode;
    var other = up ? item.previousElementSibling : item.nextElementSibling;
    if (!other) { return; }
    if (up) { list.insertBefore(item, other); } else { list.insertBefore(other, item); }
    renumber(list);
    var position = item.querySelector(".rank-input").value;
    var button = item.querySelector(up ? ".move-up" : ".move-down");
    if (button) { button.focus(); }
    var status = list.parentNode.querySelector(".ranked-status");
    if (status) { status.textContent = item.querySelector("label").textContent + ": " + position; }
  }
  document.querySelectorAll("ol.ranked").forEach(function (list) {
    var status = document.createElement("p");
    status.className = "ranked-status visually-hidden";
    status.setAttribute("role", "status");
    list.parentNode.appendChild(status);
    list.querySelectorAll(".ranked-option").forEach(function (item) {
      var name = item.querySelector("label").textContent;
      ["up", "down"].forEach(function (way) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button move-" + way;
        button.textContent = way === "up" ? "Move up" : "Move down";
        button.setAttribute("aria-label", (way === "up" ? "Move up: " : "Move down: ") + name);
        button.addEventListener("click", function () {
          var input = item.querySelector(".rank-input");
          if (input.value === "") { input.value = String(list.children.length); }
          move(item, way === "up");
        });
        item.appendChild(button);
      });
    });
  });
}());
