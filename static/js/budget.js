/* The budget page's live total: as projects are ticked, each heading's total is recalculated and said in the
   aria-live region (screen readers announce it). Without this script the "Update total" button does the same
   on the server. The words come from the page (data-says, data-over, data-below), already translated. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-budget]");
  if (!form) { return; }
  var region = form.querySelector("[data-budget-total]");
  if (!region) { return; }
  var says = region.getAttribute("data-says");
  var over = region.getAttribute("data-over");
  var below = region.getAttribute("data-below");

  function pounds(pence) {
    var whole = Math.floor(pence / 100), part = pence % 100;
    var text = "£" + whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return part ? text + "." + (part < 10 ? "0" : "") + part : text;
  }
  function pence(text) { return Math.round(parseFloat(text || "0") * 100); }

  function update() {
    var lines = region.querySelectorAll("[data-heading-total]");
    Array.prototype.forEach.call(lines, function (line) {
      var heading = line.getAttribute("data-heading-total");
      var amount = pence(line.getAttribute("data-amount"));
      var minimum = line.getAttribute("data-minimum") ? pence(line.getAttribute("data-minimum")) : null;
      var spent = 0;
      var boxes = form.querySelectorAll('input[name="projects"][data-heading="' + heading + '"]');
      Array.prototype.forEach.call(boxes, function (box) { if (box.type === "hidden" || box.checked) { spent += pence(box.getAttribute("data-cost")); } });
      var text = says.replace("{heading}", line.getAttribute("data-title")).replace("{spent}", pounds(spent))
        .replace("{amount}", pounds(amount)).replace("{left}", pounds(Math.max(amount - spent, 0)));
      if (spent > amount) { text += " " + over.replace("{over}", pounds(spent - amount)); }
      else if (minimum !== null && spent < minimum) { text += " " + below.replace("{minimum}", pounds(minimum)); }
      line.textContent = text;
      var problems = region.querySelector('[data-heading-problems="' + heading + '"]');
      if (problems) { problems.hidden = true; }
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name === "projects") { update(); }
  });
})();
