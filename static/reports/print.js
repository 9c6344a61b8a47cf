/* The summary report's Print button. A static file, not an onclick attribute: the
 * Content-Security-Policy runs scripts from static files only. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
