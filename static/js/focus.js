/* Moves focus to a confirmation shown where the person is (the placed_messages macro of _macros.html). The page was
   reached through an address ending in #section: browsers do not apply autofocus then, and scrolling to the section
   moves focus to it (or to the page) once the page has loaded, so this runs after that. */
(function () {
  "use strict";
  function focusIt() {
    var target = document.querySelector("[data-focus-on-load]");
    if (target) {
      target.focus();
    }
  }
  if (document.readyState === "complete") {
    window.setTimeout(focusIt, 0);
  } else {
    window.addEventListener("load", function () { window.setTimeout(focusIt, 0); });
  }
})();
