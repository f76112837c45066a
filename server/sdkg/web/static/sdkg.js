/* The query page: YASGUI against this server's /sparql, with the query catalog as examples, a form for an
   example's parameters (pick a case or an actor from a list, with type-ahead), and permalinks:
   /?example=case-claims&case=Rwandan%20genocide loads the example, fills its form and runs it. */
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

  /* YASGUI focuses its editor when it shows a tab, which scrolls a phone's page down to it on load:
     keep the page where the reader is (the top) unless they asked for the editor. */
  var scrollBefore = window.scrollY;
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

  /* YASGUI's own markup, made accessible (axe-core finds nothing serious then): names for the endpoint
     field and the editor, a keyboard-reachable editor scroller; the "+" tab button is hidden (the examples
     reuse one tab), which also leaves the tab list holding tabs only. Re-applied when YASGUI redraws. */
  var patching = false;
  function accessible() {
    if (patching) return;
    patching = true;
    var root = document.getElementById("yasgui");
    root.querySelectorAll("input.autocomplete:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "SPARQL endpoint");
    });
    root.querySelectorAll(".CodeMirror textarea:not([aria-label])").forEach(function (area) {
      area.setAttribute("aria-label", "SPARQL query");
    });
    root.querySelectorAll(".CodeMirror-scroll:not([tabindex='0'])").forEach(function (scroller) {
      scroller.setAttribute("tabindex", "0");
      scroller.setAttribute("aria-label", "SPARQL query text");
    });
    root.querySelectorAll(".tabsList .tab input:not([aria-label])").forEach(function (input) {
      input.setAttribute("aria-label", "Tab name");
    });
    root.querySelectorAll(".tabsList > div:not(.tab)").forEach(function (wrapper) {
      if (wrapper.querySelector(".addTab")) wrapper.hidden = true;
    });
    patching = false;
  }
  accessible();
  new MutationObserver(accessible).observe(document.getElementById("yasgui"), { childList: true, subtree: true });
  var editorHasFocus = document.activeElement && document.getElementById("yasgui").contains(document.activeElement);
  if (editorHasFocus && !window.location.hash) {
    document.activeElement.blur();
    window.scrollTo(0, scrollBefore);
  }

  var form = document.getElementById("parameter-form");
  var current = null;

  function showExample(index) {
    var example = config.examples[index];
    if (!example) return null;
    current = example;
    var tab = yasgui.getTab();
    tab.setQuery(example.query);
    if (tab.setName) tab.setName(example.title.length > 40 ? example.title.slice(0, 38) + "…" : example.title);
    document.querySelectorAll("button.example").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.example === String(index) ? "true" : "false");
    });
    buildForm(example);
    return tab;
  }

  function runExample(index) {
    var tab = showExample(index);
    if (tab) tab.query();
  }

  /* ------------------------------------------------------------------ parameter forms */
  var optionLists = {};

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fillOptions(list, parameter) {
    if (parameter.kind !== "entity") return;
    var url = parameter.resolve;
    var fill = function (options) {
      while (list.firstChild) list.firstChild.remove();
      options.forEach(function (option) {
        list.appendChild(element("option", { value: option.label }, option.curie));
      });
    };
    if (optionLists[url]) { fill(optionLists[url]); return; }
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { options: [] }; })
      .then(function (data) { optionLists[url] = data.options || []; fill(optionLists[url]); })
      .catch(function () { /* the field still takes a name, IRI or prefixed name */ });
  }

  function buildForm(example, values) {
    while (form.firstChild) form.firstChild.remove();
    var parameters = example.parameters || [];
    form.hidden = parameters.length === 0;
    if (!parameters.length) return;
    form.appendChild(element("p", { "class": "parameter-title", id: "parameter-title" }, "Parameters of “" + example.title + "”"));
    parameters.forEach(function (parameter) {
      var id = "parameter-" + parameter.name;
      var label = element("label", { "for": id });
      label.appendChild(element("span", { "class": "parameter-name" }, parameter.name));
      if (parameter.description) label.appendChild(element("span", { "class": "muted" }, " (" + parameter.description + ")"));
      var input = element("input", {
        id: id, name: parameter.name, autocomplete: "off", spellcheck: "false",
        placeholder: parameter.kind === "entity" ? "a name, e.g. " + parameter.default : parameter.default
      });
      input.value = values && values[parameter.name] !== undefined ? values[parameter.name] : "";
      var field = element("div", { "class": "parameter-field" });
      field.appendChild(label);
      field.appendChild(input);
      if (parameter.kind === "entity") {
        var list = element("datalist", { id: id + "-options" });
        input.setAttribute("list", list.id);
        field.appendChild(list);
        fillOptions(list, parameter);
      }
      form.appendChild(field);
    });
    var buttons = element("div", { "class": "parameter-buttons" });
    buttons.appendChild(element("button", { type: "submit", "class": "button" }, "Run with these values"));
    form.appendChild(buttons);
    form.appendChild(element("p", { "class": "error parameter-error", role: "alert", "aria-live": "assertive" }));
    form.setAttribute("aria-labelledby", "parameter-title");
  }

  /* Each value is checked by the server (the same look-up as /queries/NAME.json): the term it names goes into
     the example's VALUES line; a value that names nothing is said so here, and nothing runs. */
  function resolveAll(example, values) {
    var jobs = (example.parameters || []).map(function (parameter) {
      var given = (values[parameter.name] || "").trim();
      if (!given) return Promise.resolve({ parameter: parameter, term: parameter.term });
      return fetch(parameter.resolve + "?value=" + encodeURIComponent(given), { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok) throw new Error(data.error || ("the server answered " + response.status));
            return { parameter: parameter, term: data.term };
          });
        });
    });
    return Promise.all(jobs);
  }

  function runWithValues(example, values) {
    var error = form.querySelector(".parameter-error");
    if (error) error.textContent = "";
    return resolveAll(example, values).then(function (resolved) {
      var text = example.query;
      resolved.forEach(function (item) {
        var written = "VALUES ?" + item.parameter.name + " { " + item.parameter.term + " }";
        text = text.replace(written, "VALUES ?" + item.parameter.name + " { " + item.term + " }");
      });
      var tab = yasgui.getTab();
      tab.setQuery(text);
      tab.query();
      var url = new URL(window.location.href);
      url.search = "";
      url.searchParams.set("example", example.name);
      Object.keys(values).forEach(function (name) { if (values[name]) url.searchParams.set(name, values[name]); });
      window.history.replaceState(null, "", url.toString());
    }).catch(function (failure) {
      if (error) error.textContent = failure.message;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!current) return;
    var values = {};
    (current.parameters || []).forEach(function (parameter) {
      var input = form.querySelector("[name='" + parameter.name + "']");
      if (input) values[parameter.name] = input.value;
    });
    runWithValues(current, values);
  });

  document.querySelectorAll("button.example").forEach(function (button) {
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      runExample(Number(button.dataset.example));
      if (window.matchMedia("(max-width: 56rem)").matches) {
        document.querySelector("section.editor").scrollIntoView({ block: "start" });
      }
    });
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

  var params = new URLSearchParams(window.location.search);
  var wanted = params.get("example");
  if (wanted) {
    config.examples.forEach(function (example, index) {
      if (example.name !== wanted) return;
      var values = {};
      (example.parameters || []).forEach(function (parameter) {
        if (params.has(parameter.name)) values[parameter.name] = params.get(parameter.name);
      });
      showExample(index);
      buildForm(example, values);
      if (Object.keys(values).length) runWithValues(example, values);
      else yasgui.getTab().query();
    });
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
