/* Three YASR result views: "table" (readable: text wraps in full, IRIs show their labels, no @en or
   ^^xsd noise, rows stack as cards on a phone), "chart" (Chart.js) for numeric columns, "graph"
   (Cytoscape.js) for CONSTRUCT results and for rows that link resources. Both libraries are vendored.
   Labels of IRIs the result does not label are looked up through /sparql (the same guards as any query). */
(function () {
  "use strict";
  var Yasr = Yasgui.Yasr;
  var ID = "https://w3id.org/sdkg/id/";
  var ONTOLOGY = "https://w3id.org/sdkg/ontology";
  var LABEL = "http://www.w3.org/2000/01/rdf-schema#label";
  var NUMERIC = /#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedInt|unsignedLong)$/;
  var MAX_ROWS = 300;
  var MAX_NODES = 400;
  var COLOURS = {
    actor: "#1f5fa8", claim: "#b7791f", ascription: "#8a8f98", case: "#a12a2a", concept: "#2f855a",
    discourse: "#6b46c1", passage: "#4a5568", place: "#2c7a7b", source: "#975a16", argument: "#c05621"
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var ICONS = {
    table: "M3 3h18v18H3V3zm2 4v4h6V7H5zm8 0v4h6V7h-6zm-8 6v4h6v-4H5zm8 0v4h6v-4h-6z",
    chart: "M3 21h18v-2H3v2zm2-4h3V9H5v8zm5 0h3V4h-3v13zm5 0h3v-6h-3v6z",
    graph: "M6 3a3 3 0 1 0 1.7 5.5l4.1 3.1a3 3 0 0 0 0 .8l-4.1 3.1A3 3 0 1 0 9 18c0-.3 0-.5-.1-.8l4.1-3a3 3 0 1 0 0-4.4l-4.1-3c.1-.3.1-.5.1-.8a3 3 0 0 0-3-3z"
  };
  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "15");
    svg.setAttribute("height", "15");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("fill", "currentColor");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    var span = el("span", { "class": "sdkg-plugin-icon" });
    span.appendChild(svg);
    return span;
  }

  function isNumeric(cell) {
    if (!cell || cell.type === "uri" || cell.type === "bnode") return false;
    if (cell.datatype && NUMERIC.test(cell.datatype)) return true;
    return cell.value !== "" && !isNaN(Number(cell.value));
  }

  function localHref(iri) {
    if (iri.indexOf(ID) === 0) return "/id/" + iri.slice(ID.length);
    if (iri.indexOf(ONTOLOGY + "#") === 0) return "/ontology#" + iri.slice(ONTOLOGY.length + 1);
    return iri;
  }

  /* ------------------------------------------------------------------ labels */
  var LABELS = {};
  var ASKED = {};
  var LABEL_BATCH = 150;
  function labelled(iri) {
    return iri.indexOf(ID) === 0 || iri.indexOf(ONTOLOGY) === 0;
  }
  /* Ask /sparql for the rdfs:label of IRIs of this graph not seen yet; call back when some arrive. */
  function lookUpLabels(iris, done) {
    var wanted = iris.filter(function (iri) { return labelled(iri) && !ASKED[iri] && /^[^<>"{}|^`\\\s]+$/.test(iri); });
    if (!wanted.length) return;
    wanted = wanted.slice(0, LABEL_BATCH);
    wanted.forEach(function (iri) { ASKED[iri] = true; });
    var query = "SELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?s { " +
      wanted.map(function (iri) { return "<" + iri + ">"; }).join(" ") +
      " } ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } GROUP BY ?s";
    var body = new URLSearchParams();
    body.set("query", query);
    fetch("/sparql", { method: "POST", body: body, headers: { Accept: "application/sparql-results+json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.results) return;
        var found = 0;
        data.results.bindings.forEach(function (row) {
          if (row.s && row.label) { LABELS[row.s.value] = row.label.value; found++; }
        });
        if (found && done) done();
      })
      .catch(function () { /* labels are a nicety: the IRIs stay readable as prefixed names */ });
  }
  window.sdkgLabels = LABELS;

  function shortName(yasr, iri) {
    var prefixes = yasr.getPrefixes ? yasr.getPrefixes() : {};
    var best = null;
    Object.keys(prefixes).forEach(function (prefix) {
      var ns = prefixes[prefix];
      if (ns && iri.indexOf(ns) === 0 && (!best || ns.length > prefixes[best].length)) best = prefix;
    });
    return best ? best + ":" + iri.slice(prefixes[best].length) : iri;
  }

  var LABEL_SUFFIXES = ["Label", "_label", "Name"];
  function labelFor(bindings, name) {
    for (var i = 0; i < LABEL_SUFFIXES.length; i++) {
      var key = name + LABEL_SUFFIXES[i];
      if (bindings[key]) return bindings[key].value;
    }
    return bindings[name] && bindings[name].type === "uri" ? LABELS[bindings[name].value] || null : null;
  }

  /* A cell as text for a person: a label (or prefixed name) for an IRI, the bare value of a literal. */
  function cellText(yasr, row, name) {
    var cell = row[name];
    if (!cell) return "";
    if (cell.type === "uri") return labelFor(row, name) || shortName(yasr, cell.value);
    if (cell.type === "bnode") return "_:" + cell.value;
    return cell.value;
  }

  /* Columns that only label another column (?discourse and ?discourseLabel): shown in that column. */
  function labelColumns(variables, bindings) {
    var folded = {};
    variables.forEach(function (name) {
      var isIri = bindings.some(function (row) { return row[name] && row[name].type === "uri"; });
      if (!isIri) return;
      LABEL_SUFFIXES.forEach(function (suffix) {
        if (variables.indexOf(name + suffix) >= 0) folded[name + suffix] = name;
      });
    });
    return folded;
  }

  function select(labelText, options, value, onChange) {
    var label = el("label", {}, labelText + " ");
    var box = el("select");
    options.forEach(function (option) {
      var item = el("option", { value: option[0] }, option[1]);
      if (option[0] === value) item.selected = true;
      box.appendChild(item);
    });
    box.addEventListener("change", function () { onChange(box.value); });
    label.appendChild(box);
    return label;
  }


  /* ------------------------------------------------------------------ table */
  var PAGE_SIZE = 50;
  function TablePlugin(yasr) {
    this.yasr = yasr;
    this.priority = 10;
    this.label = "Table";
    this.page = 0;
    this.filter = "";
    this.sort = null;
    this.controls = null;
  }
  TablePlugin.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || results.getBoolean() !== undefined || results.getType() === "ttl") return false;
    var variables = results.getVariables();
    return !!variables && variables.length > 0 && !!results.getBindings();
  };
  TablePlugin.prototype.getIcon = function () { return icon("table"); };
  TablePlugin.prototype.download = function (filename) {
    var yasr = this.yasr;
    return {
      getData: function () { return (yasr.results && yasr.results.asCsv && yasr.results.asCsv()) || ""; },
      contentType: "text/csv",
      title: "Download the result as CSV",
      filename: (filename || "queryResults") + ".csv"
    };
  };
  TablePlugin.prototype.destroy = function () {
    if (this.controls) { this.controls.remove(); this.controls = null; }
  };
  TablePlugin.prototype.rows = function () {
    var yasr = this.yasr;
    var results = yasr.results;
    var variables = results.getVariables();
    var rows = results.getBindings().map(function (row, index) { return { row: row, index: index }; });
    var words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    if (words.length) {
      rows = rows.filter(function (entry) {
        var text = variables.map(function (name) {
          var cell = entry.row[name];
          return cell ? cellText(yasr, entry.row, name) + " " + cell.value : "";
        }).join(" ").toLowerCase();
        return words.every(function (word) { return text.indexOf(word) >= 0; });
      });
    }
    if (this.sort) {
      var sort = this.sort;
      rows.sort(function (a, b) {
        var x = a.row[sort.name], y = b.row[sort.name];
        var result;
        if (isNumeric(x) && isNumeric(y)) result = Number(x.value) - Number(y.value);
        else result = cellText(yasr, a.row, sort.name).localeCompare(cellText(yasr, b.row, sort.name));
        return sort.descending ? -result : result;
      });
    }
    return rows;
  };
  TablePlugin.prototype.cell = function (row, name, folded) {
    var yasr = this.yasr;
    var cell = row[name];
    var td = el("td", { "data-label": "?" + name });
    if (!cell) return td;
    if (cell.type === "uri") {
      var label = labelFor(row, name);
      var link = el("a", { href: localHref(cell.value), title: cell.value }, label || shortName(yasr, cell.value));
      if (!label) {
        link.className = "iri";
        link.setAttribute("data-iri", cell.value);
      }
      td.appendChild(link);
    } else if (cell.type === "bnode") {
      td.appendChild(el("span", { "class": "bnode" }, "_:" + cell.value));
    } else if (cell.value.indexOf(" | ") >= 0) {
      var list = el("ul", { "class": "multi" });
      cell.value.split(" | ").forEach(function (part) { list.appendChild(el("li", {}, part)); });
      td.appendChild(list);
    } else {
      if (isNumeric(cell)) td.className = "num";
      if (cell.datatype && !/#(string|langString)$/.test(cell.datatype)) td.title = shortName(yasr, cell.datatype);
      if (cell["xml:lang"]) td.setAttribute("lang", cell["xml:lang"]);
      td.appendChild(document.createTextNode(cell.value));
    }
    return td;
  };
  TablePlugin.prototype.draw = function () {
    var self = this;
    var yasr = this.yasr;
    var results = yasr.results;
    var variables = results.getVariables();
    var bindings = results.getBindings();
    var folded = labelColumns(variables, bindings);
    var shown = variables.filter(function (name) { return !folded[name]; });
    var long = {};
    shown.forEach(function (name) {
      var total = 0, seen = 0;
      bindings.slice(0, 200).forEach(function (row) {
        var cell = row[name];
        if (cell && cell.type !== "uri") { total += cell.value.length; seen++; }
      });
      long[name] = seen > 0 && total / seen > 70;
    });
    this.destroy();
    this.controls = el("div", { "class": "sdkg-plugin-controls sdkg-table-controls" });
    var filterLabel = el("label", {}, "Filter rows ");
    var filter = el("input", { type: "search", value: this.filter, placeholder: "words in any column" });
    filterLabel.appendChild(filter);
    this.controls.appendChild(filterLabel);
    var count = el("span", { "class": "sdkg-table-count", role: "status" });
    this.controls.appendChild(count);
    yasr.pluginControls.appendChild(this.controls);

    var box = el("div", { "class": "sdkg-table-box" });
    var table = el("table", { "class": "sdkg-table" });
    table.appendChild(el("caption", { "class": "visually-hidden" }, "Query results"));
    var head = el("thead");
    var headRow = el("tr");
    shown.forEach(function (name) {
      var th = el("th", { scope: "col" });
      var sorted = self.sort && self.sort.name === name;
      th.setAttribute("aria-sort", sorted ? (self.sort.descending ? "descending" : "ascending") : "none");
      var button = el("button", { type: "button", title: "Sort by ?" + name }, "?" + name);
      button.addEventListener("click", function () {
        self.sort = { name: name, descending: !!(self.sort && self.sort.name === name && !self.sort.descending) };
        self.page = 0;
        render();
      });
      th.appendChild(button);
      if (Object.keys(folded).some(function (key) { return folded[key] === name; })) {
        th.appendChild(el("span", { "class": "sdkg-folded" }, " with its label"));
      }
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    table.appendChild(body);
    box.appendChild(table);
    var pager = el("nav", { "class": "sdkg-pager", "aria-label": "Result pages" });
    var previous = el("button", { type: "button" }, "Previous");
    var next = el("button", { type: "button" }, "Next");
    var where = el("span", { "class": "sdkg-pager-where" });
    pager.appendChild(previous);
    pager.appendChild(where);
    pager.appendChild(next);
    yasr.resultsEl.appendChild(box);
    yasr.resultsEl.appendChild(pager);

    function render() {
      var rows = self.rows();
      var pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
      if (self.page >= pages) self.page = pages - 1;
      var first = self.page * PAGE_SIZE;
      var slice = rows.slice(first, first + PAGE_SIZE);
      while (body.firstChild) body.firstChild.remove();
      var unlabelled = [];
      slice.forEach(function (entry) {
        var tr = el("tr");
        shown.forEach(function (name) {
          var td = self.cell(entry.row, name, folded);
          if (long[name]) td.classList.add("long");
          tr.appendChild(td);
          var cell = entry.row[name];
          if (cell && cell.type === "uri" && !labelFor(entry.row, name)) unlabelled.push(cell.value);
        });
        body.appendChild(tr);
      });
      var total = bindings.length;
      count.textContent = rows.length === total ? total + " row" + (total === 1 ? "" : "s")
        : rows.length + " of " + total + " rows match";
      where.textContent = rows.length ? "Rows " + (first + 1) + "–" + (first + slice.length) + " of " + rows.length : "No rows";
      previous.disabled = self.page === 0;
      next.disabled = self.page >= pages - 1;
      pager.hidden = pages <= 1;
      headRow.querySelectorAll("th").forEach(function (th, i) {
        var sorted = self.sort && self.sort.name === shown[i];
        th.setAttribute("aria-sort", sorted ? (self.sort.descending ? "descending" : "ascending") : "none");
      });
      lookUpLabels(unlabelled, relabel);
    }
    function relabel() {
      body.querySelectorAll("a.iri[data-iri]").forEach(function (link) {
        var label = LABELS[link.getAttribute("data-iri")];
        if (label) { link.textContent = label; link.className = ""; link.removeAttribute("data-iri"); }
      });
    }
    filter.addEventListener("input", function () { self.filter = filter.value; self.page = 0; render(); });
    previous.addEventListener("click", function () { self.page -= 1; render(); });
    next.addEventListener("click", function () { self.page += 1; render(); });
    render();
  };

  /* ------------------------------------------------------------------ chart */
  function ChartPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 5;
    this.label = "Chart";
    this.chart = null;
    this.settings = {};
  }
  ChartPlugin.prototype.numericColumns = function () {
    var results = this.yasr.results;
    var bindings = results.getBindings();
    return results.getVariables().filter(function (name) {
      var seen = 0;
      for (var i = 0; i < bindings.length; i++) {
        var cell = bindings[i][name];
        if (!cell) continue;
        if (!isNumeric(cell)) return false;
        seen++;
      }
      return seen > 0;
    });
  };
  ChartPlugin.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || results.getType() === "ttl" || results.getBoolean() !== undefined) return false;
    var bindings = results.getBindings();
    return !!bindings && bindings.length > 0 && this.numericColumns().length > 0;
  };
  ChartPlugin.prototype.getIcon = function () { return icon("chart"); };
  ChartPlugin.prototype.destroy = function () { if (this.chart) { this.chart.destroy(); this.chart = null; } };
  /* Category labels a reader can tell apart: when two rows share a label (the same discourse in two
     sources), the columns whose values differ between them are added as a second line. */
  function categoryLabels(yasr, bindings, category, categories) {
    if (!category) return bindings.map(function (_, index) { return String(index + 1); });
    var folded = labelColumns(yasr.results.getVariables(), bindings);
    var base = bindings.map(function (row) { return cellText(yasr, row, category); });
    var others = categories.filter(function (name) {
      if (name === category || folded[name] === category || folded[category] === name) return false;
      return !(folded[name] && categories.indexOf(folded[name]) >= 0);  /* ?stanceLabel: ?stance shows it */
    });
    var groups = {};
    base.forEach(function (text, index) { (groups[text] = groups[text] || []).push(index); });
    return bindings.map(function (row, index) {
      var twins = groups[base[index]];
      if (twins.length < 2) return base[index];
      var telling = others.filter(function (name) {
        var seen = {};
        twins.forEach(function (i) { seen[cellText(yasr, bindings[i], name)] = true; });
        return Object.keys(seen).length > 1;
      });
      var extra = telling.map(function (name) { return cellText(yasr, row, name); })
        .filter(function (text, i, all) { return all.indexOf(text) === i; }).join(" · ");
      return extra ? [base[index], extra] : base[index] + " (" + (twins.indexOf(index) + 1) + ")";
    });
  }

  ChartPlugin.prototype.draw = function () {
    var self = this;
    var yasr = this.yasr;
    var results = yasr.results;
    var variables = results.getVariables();
    var numeric = this.numericColumns();
    var categories = variables.filter(function (v) { return numeric.indexOf(v) < 0; });
    var s = this.settings;
    var ALL = "*";
    if (!s.value || (s.value !== ALL && numeric.indexOf(s.value) < 0)) s.value = numeric.length > 1 && numeric.length <= 4 ? ALL : numeric[0];
    if (!s.category || categories.indexOf(s.category) < 0) {
      s.category = categories.filter(function (v) { return /label$/i.test(v); })[0] || categories[0] || "";
    }
    s.type = s.type || "bar";
    var wrapper = el("div", { "class": "sdkg-chart-view" });
    var controls = el("div", { "class": "sdkg-plugin-controls" });
    var redraw = function () { self.destroy(); yasr.resultsEl.innerHTML = ""; self.draw(); };
    controls.appendChild(select("Categories", [["", "(row number)"]].concat(categories.map(function (v) { return [v, "?" + v]; })), s.category, function (v) { s.category = v; redraw(); }));
    var valueOptions = numeric.map(function (v) { return [v, "?" + v]; });
    if (numeric.length > 1) valueOptions.unshift([ALL, "every numeric column"]);
    controls.appendChild(select("Values", valueOptions, s.value, function (v) { s.value = v; redraw(); }));
    controls.appendChild(select("Chart", [["bar", "Bars"], ["hbar", "Horizontal bars"], ["line", "Line"], ["pie", "Pie"]], s.type, function (v) { s.type = v; redraw(); }));
    wrapper.appendChild(controls);
    var bindings = results.getBindings().slice(0, MAX_ROWS);
    if (results.getBindings().length > MAX_ROWS) {
      wrapper.appendChild(el("p", { "class": "sdkg-plugin-note" }, "Showing the first " + MAX_ROWS + " rows."));
    }
    var shownValues = s.value === ALL ? numeric : [s.value];
    var box = el("div", { "class": "sdkg-chart" });
    var canvas = el("canvas", { role: "img", "aria-label": "Chart of " + shownValues.map(function (v) { return "?" + v; }).join(", ") + (s.category ? " by ?" + s.category : "") });
    box.appendChild(canvas);
    wrapper.appendChild(box);
    yasr.resultsEl.appendChild(wrapper);
    var labels = categoryLabels(yasr, bindings, s.category, categories);
    var palette = ["#1f5fa8", "#b7791f", "#2f855a", "#a12a2a", "#6b46c1", "#2c7a7b", "#c05621", "#4a5568"];
    var pie = s.type === "pie";
    var datasets = shownValues.map(function (name, i) {
      return {
        label: "?" + name,
        data: bindings.map(function (row) { return row[name] ? Number(row[name].value) : null; }),
        backgroundColor: pie ? labels.map(function (_, j) { return palette[j % palette.length]; }) : palette[i % palette.length],
        borderColor: pie ? "#fff" : palette[i % palette.length]
      };
    });
    this.labels = labels;
    this.chart = new Chart(canvas, {
      type: s.type === "hbar" ? "bar" : s.type,
      data: { labels: labels, datasets: datasets },
      options: {
        indexAxis: s.type === "hbar" ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: pie || datasets.length > 1 } }
      }
    });
    var unlabelled = [];
    bindings.forEach(function (row) {
      categories.forEach(function (name) { if (row[name] && row[name].type === "uri" && !labelFor(row, name)) unlabelled.push(row[name].value); });
    });
    var drawn = this.chart;
    lookUpLabels(unlabelled, function () {
      if (self.chart !== drawn) return;  /* labels that arrive after another result was drawn are for the old one */
      self.labels = categoryLabels(yasr, bindings, s.category, categories);
      drawn.data.labels = self.labels;
      drawn.update();
    });
  };

  /* ------------------------------------------------------------------ graph */
  function GraphPlugin(yasr) {
    this.yasr = yasr;
    this.priority = 4;
    this.label = "Graph";
    this.cy = null;
  }
  GraphPlugin.prototype.resourceColumns = function () {
    var bindings = this.yasr.results.getBindings();
    return this.yasr.results.getVariables().filter(function (name) {
      return bindings.some(function (row) { return row[name] && (row[name].type === "uri" || row[name].type === "bnode"); });
    });
  };
  GraphPlugin.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || results.getBoolean() !== undefined) return false;
    if (results.getType() === "ttl") return results.getStatements().length > 0;
    var bindings = results.getBindings();
    return !!bindings && bindings.length > 0 && this.resourceColumns().length >= 2;
  };
  GraphPlugin.prototype.getIcon = function () { return icon("graph"); };
  GraphPlugin.prototype.destroy = function () { if (this.cy) { this.cy.destroy(); this.cy = null; } };
  GraphPlugin.prototype.elements = function () {
    var yasr = this.yasr;
    var nodes = {};
    var edges = [];
    var truncated = false;
    function node(kind, value, label) {
      var key = kind + " " + value;
      if (!nodes[key]) {
        if (Object.keys(nodes).length >= MAX_NODES) { truncated = true; return null; }
        var group = kind === "uri" && value.indexOf(ID) === 0 ? value.slice(ID.length).split("/")[0] : "other";
        nodes[key] = { data: { id: "n" + Object.keys(nodes).length, iri: kind === "uri" ? value : "", label: label || (kind === "uri" ? shortName(yasr, value) : value), colour: COLOURS[group] || "#718096" } };
      } else if (label && nodes[key].data.label.indexOf(":") >= 0) {
        nodes[key].data.label = label;
      }
      return nodes[key].data.id;
    }
    function edge(from, to, label) {
      if (from && to) edges.push({ data: { id: "e" + edges.length, source: from, target: to, label: label } });
    }
    var results = yasr.results;
    if (results.getType() === "ttl") {
      var statements = results.getStatements();
      var labels = {};
      statements.forEach(function (q) { if (q.predicate.value === LABEL && q.object.termType === "Literal") labels[q.subject.value] = q.object.value; });
      statements.forEach(function (q) {
        if (q.object.termType === "Literal") return;
        var kind = function (t) { return t.termType === "NamedNode" ? "uri" : "bnode"; };
        edge(node(kind(q.subject), q.subject.value, labels[q.subject.value]), node(kind(q.object), q.object.value, labels[q.object.value]), shortName(yasr, q.predicate.value));
      });
    } else {
      var columns = this.resourceColumns();
      var bindings = results.getBindings();
      var spo = ["s", "p", "o"].every(function (v) { return results.getVariables().indexOf(v) >= 0; });
      bindings.slice(0, MAX_ROWS * 3).forEach(function (row) {
        if (spo && row.s && row.p && row.o) {
          if (row.o.type === "uri" || row.o.type === "bnode") {
            edge(node(row.s.type, row.s.value, labelFor(row, "s")), node(row.o.type, row.o.value, labelFor(row, "o")), shortName(yasr, row.p.value));
          }
          return;
        }
        var hub = null;
        columns.forEach(function (name) {
          var cell = row[name];
          if (!cell || (cell.type !== "uri" && cell.type !== "bnode")) return;
          var id = node(cell.type, cell.value, labelFor(row, name));
          if (hub === null) hub = id;
          else edge(hub, id, name);
        });
      });
    }
    var seen = {};
    edges = edges.filter(function (e) {
      var key = e.data.source + " " + e.data.target + " " + e.data.label;
      if (seen[key]) return false;
      seen[key] = true;
      return true;
    });
    return { nodes: Object.keys(nodes).map(function (k) { return nodes[k]; }), edges: edges, truncated: truncated };
  };
  /* Nodes that give context to many others (sources, and the ontology's terms: stances, classes)
     would pull everything towards them and sit at the centre; they are laid out apart, on the rim. */
  function isContext(data) {
    return !!data.iri && (data.iri.indexOf(ID + "source/") === 0 || data.iri.indexOf(ONTOLOGY) === 0);
  }

  GraphPlugin.prototype.draw = function () {
    var elements = this.elements();
    var wrapper = el("div", { "class": "sdkg-graph-view" });
    var note = elements.nodes.length + " nodes, " + elements.edges.length + " links. Drag to move, scroll or pinch to zoom, click a node to open its page.";
    if (elements.truncated) note += " Only the first " + MAX_NODES + " nodes are shown.";
    var context = elements.nodes.filter(function (n) { return isContext(n.data); });
    if (context.length) note += " Sources and vocabulary terms are on the rim, linked by dashed lines.";
    wrapper.appendChild(el("p", { "class": "sdkg-plugin-note" }, note));
    var box = el("div", { "class": "sdkg-graph", role: "img", "aria-label": "Graph of the results: " + elements.nodes.length + " nodes" });
    wrapper.appendChild(box);
    this.yasr.resultsEl.appendChild(wrapper);
    elements.nodes.forEach(function (n) { n.data.context = isContext(n.data) ? 1 : 0; });
    var contextIds = {};
    context.forEach(function (n) { contextIds[n.data.id] = true; });
    elements.edges.forEach(function (e) { e.data.context = contextIds[e.data.source] || contextIds[e.data.target] ? 1 : 0; });
    var cy = this.cy = window.sdkgGraph = cytoscape({
      container: box,
      elements: elements.nodes.concat(elements.edges),
      minZoom: 0.2,
      maxZoom: 3,
      style: [
        { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 14, "text-wrap": "wrap", "text-max-width": 180, color: "#1d2330", "text-valign": "bottom", "text-margin-y": 4, "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2, "min-zoomed-font-size": 7, width: 18, height: 18 } },
        { selector: "node[context = 1]", style: { shape: "round-rectangle", width: 22, height: 22, "font-weight": "bold", "border-width": 2, "border-color": "#ffffff" } },
        { selector: "edge", style: { width: 1.4, "line-color": "#a0aec0", "target-arrow-color": "#a0aec0", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 11, color: "#4a5568", "text-rotation": "autorotate", "text-background-color": "#fcfdff", "text-background-opacity": 1, "min-zoomed-font-size": 10 } },
        { selector: "edge[context = 1]", style: { "line-style": "dashed", "line-color": "#cbd2dc", "target-arrow-color": "#cbd2dc", label: "", width: 1 } }
      ]
    });
    var core = cy.elements().filter(function (item) { return item.data("context") !== 1; });
    var layout = core.nodes().length > 150
      ? { name: "concentric", animate: false, padding: 30, minNodeSpacing: 30 }
      : { name: "cose", animate: false, padding: 30, idealEdgeLength: function () { return 170; }, nodeRepulsion: function () { return 1200000; }, nodeOverlap: 40, gravity: 0.6, numIter: 2500, randomize: false };
    core.layout(layout).run();
    var rim = cy.nodes("[context = 1]");
    if (rim.length) {
      var bb = core.nodes().length ? core.boundingBox() : { x1: 0, x2: 400, y1: 0, y2: 300, w: 400, h: 300 };
      var cx = (bb.x1 + bb.x2) / 2, cyy = (bb.y1 + bb.y2) / 2;
      var rx = Math.max(bb.w, 300) / 2 + 90, ry = Math.max(bb.h, 200) / 2 + 70;
      rim.forEach(function (node, i) {
        var angle = -Math.PI / 2 + (2 * Math.PI * i) / rim.length;
        node.position({ x: cx + rx * Math.cos(angle), y: cyy + ry * Math.sin(angle) });
      });
    }
    cy.fit(undefined, 30);
    /* Labels stay legible: rather than shrink a large graph to nothing, show its middle; drag to see the rest. */
    if (cy.zoom() < 0.65) { cy.zoom(0.65); cy.center(core.nodes().length ? core.nodes() : undefined); }
    cy.on("tap", "node", function (event) {
      var iri = event.target.data("iri");
      if (iri) window.open(localHref(iri), "_blank", "noopener");
    });
    var unlabelled = cy.nodes().filter(function (node) { return node.data("iri") && node.data("label").indexOf(":") >= 0; });
    var self = this;
    lookUpLabels(unlabelled.map(function (node) { return node.data("iri"); }), function () {
      if (self.cy !== cy) return;
      unlabelled.forEach(function (node) { var label = LABELS[node.data("iri")]; if (label) node.data("label", label); });
    });
  };

  Yasr.registerPlugin("table", TablePlugin);
  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.registerPlugin("graph", GraphPlugin);
})();
