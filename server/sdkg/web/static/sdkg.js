/* The query page: YASGUI against this server's /sparql, with the query catalog as examples. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("sdkg-config").textContent);
  var ID = "https://w3id.org/sdkg/id/";
  var ONTOLOGY = "https://w3id.org/sdkg/ontology";

  /* Class and property completion asks an outside service (LOV); keep the page local. */
  var Yasqe = Yasgui.Yasqe;
  if (Yasqe && Yasqe.defaults && Array.isArray(Yasqe.defaults.autocompleters)) {
    Yasqe.defaults.autocompleters = Yasqe.defaults.autocompleters.filter(function (name) {
      return name !== "class" && name !== "property";
    });
  }

  var endpoint = new URL("/sparql", window.location.href).href;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: "sdkg-yasgui",
    yasr: {
      pluginOrder: ["table", "chart", "graph", "response"],
      defaultPlugin: "table",
      prefixes: config.prefixes
    }
  });
  window.sdkgYasgui = yasgui;

  function runExample(index) {
    var example = config.examples[index];
    if (!example) return;
    var tab = yasgui.getTab();
    tab.setQuery(example.query);
    if (tab.setName) tab.setName(example.title.length > 40 ? example.title.slice(0, 38) + "…" : example.title);
    document.querySelectorAll("button.example").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.example === String(index) ? "true" : "false");
    });
    tab.query();
  }

  document.querySelectorAll("button.example").forEach(function (button) {
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () { runExample(Number(button.dataset.example)); });
  });

  var filter = document.getElementById("example-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      document.querySelectorAll("ol.example-list > li").forEach(function (item) {
        var text = item.dataset.text || "";
        item.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      });
    });
  }

  var wanted = new URLSearchParams(window.location.search).get("example");
  if (wanted) {
    config.examples.forEach(function (example, index) { if (example.name === wanted) runExample(index); });
  }

  /* IRIs of this graph open their pages on this server, not at w3id.org. */
  function localise(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link) return;
    var href = link.getAttribute("href");
    if (href.indexOf(ID) === 0) link.setAttribute("href", "/id/" + href.slice(ID.length));
    else if (href.indexOf(ONTOLOGY + "#") === 0) link.setAttribute("href", "/ontology#" + href.slice(ONTOLOGY.length + 1));
    else if (href === ONTOLOGY) link.setAttribute("href", "/ontology");
  }
  document.addEventListener("mousedown", localise, true);
  document.addEventListener("click", localise, true);
  document.addEventListener("keydown", function (event) { if (event.key === "Enter") localise(event); }, true);
})();
