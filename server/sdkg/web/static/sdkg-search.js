/* The search box on every page: type-ahead over entities (ARIA 1.2 combobox with a listbox popup).
   Arrow keys move through the suggestions, Enter opens the chosen entity's page (or, with none
   chosen, submits the search), Escape closes the list. Without JavaScript the box is a plain form. */
(function () {
  "use strict";
  var MAX = 200;
  var DELAY = 120;

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var status = document.createElement("div");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    list.parentNode.appendChild(status);
    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function choose(index) {
      var options = list.querySelectorAll('[role="option"]');
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(index) {
      var item = items[index];
      if (item) window.location.href = item.href;
    }

    function show(data, query) {
      list.textContent = "";
      items = (data && data.suggestions) || [];
      items.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "s-label";
        label.textContent = item.label;
        var type = document.createElement("span");
        type.className = "s-type";
        type.textContent = item.type || item.kind;
        option.appendChild(label);
        option.appendChild(type);
        if (item.description) {
          var description = document.createElement("span");
          description.className = "s-desc";
          description.textContent = item.description;
          option.appendChild(description);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });
        option.addEventListener("click", function () { go(i); });
        list.appendChild(option);
      });
      active = -1;
      status.textContent = items.length
        ? items.length + (items.length === 1 ? " entity matches " : " entities match ") + query + ": arrow down to choose"
        : "";
      if (items.length) open(); else close();
    }

    function ask(query) {
      if (controller) controller.abort();
      controller = typeof AbortController === "function" ? new AbortController() : null;
      fetch("/search/suggest?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (input.value.trim().slice(0, MAX) === query) show(data, query); })
        .catch(function () { /* aborted or offline: the form still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim().slice(0, MAX);
      if (!query) { items = []; list.textContent = ""; close(); return; }
      timer = setTimeout(function () { ask(query); }, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        if (!items.length) return;
        event.preventDefault();
        open();
        choose(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp") {
        if (list.hidden) return;
        event.preventDefault();
        choose(active - 1);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          go(active);
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    input.addEventListener("focus", function () { if (items.length && input.value.trim()) open(); });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function start() {
    document.querySelectorAll('input[role="combobox"][aria-controls]').forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
