/* The claim explorer: the filters are open beside the cards on wide screens and folded above them
   on narrow ones (a <details> that works without JavaScript); citations can be copied. */
(function () {
  "use strict";
  function start() {
    var filters = document.getElementById("filters");
    if (filters && window.matchMedia) {
      var wide = window.matchMedia("(min-width: 56rem)");
      var fit = function () { if (wide.matches) filters.open = true; };
      fit();
      if (wide.addEventListener) wide.addEventListener("change", fit);
    }
    if (navigator.clipboard && window.isSecureContext) {
      document.querySelectorAll("button.copy-citation[data-copy]").forEach(function (button) {
        var source = document.getElementById(button.dataset.copy);
        if (!source) return;
        button.hidden = false;
        button.addEventListener("click", function () {
          navigator.clipboard.writeText(source.textContent.trim()).then(function () {
            button.textContent = "Copied";
          }, function () {
            button.textContent = "Select the text above to copy it";
          });
        });
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
