// The API reference page (/api/v1/docs): start the vendored Swagger UI on the description the page names.
// A file of its own because the CSP allows no inline script.
(function () {
  "use strict";
  var box = document.getElementById("api-reference");
  if (!box || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: box.getAttribute("data-spec"),
    domNode: box,
    deepLinking: true,
    tryItOutEnabled: false,
    validatorUrl: null  // never send the description to an outside validator
  });
})();
