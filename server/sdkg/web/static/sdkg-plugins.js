/* Two YASR result views: "chart" (Chart.js) for numeric columns, "graph" (Cytoscape.js)
   for CONSTRUCT results and for rows that link resources. Both libraries are vendored. */
(function () {
  "use strict";
  var Yasr = Yasgui.Yasr;
  var ID = "https://w3id.org/sdkg/id/";
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
    return iri.indexOf(ID) === 0 ? "/id/" + iri.slice(ID.length) : iri;
  }

  function shortName(yasr, iri) {
    var prefixes = yasr.getPrefixes ? yasr.getPrefixes() : {};
    var best = null;
    Object.keys(prefixes).forEach(function (prefix) {
      var ns = prefixes[prefix];
      if (ns && iri.indexOf(ns) === 0 && (!best || ns.length > prefixes[best].length)) best = prefix;
    });
    return best ? best + ":" + iri.slice(prefixes[best].length) : iri;
  }

  function labelFor(bindings, name) {
    var keys = [name + "Label", name + "_label", name + "Name"];
    for (var i = 0; i < keys.length; i++) if (bindings[keys[i]]) return bindings[keys[i]].value;
    return null;
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
  ChartPlugin.prototype.draw = function () {
    var self = this;
    var yasr = this.yasr;
    var results = yasr.results;
    var variables = results.getVariables();
    var numeric = this.numericColumns();
    var categories = variables.filter(function (v) { return numeric.indexOf(v) < 0; });
    var s = this.settings;
    if (!s.value || numeric.indexOf(s.value) < 0) s.value = numeric[0];
    if (!s.category || categories.indexOf(s.category) < 0) {
      s.category = categories.filter(function (v) { return /label$/i.test(v); })[0] || categories[0] || "";
    }
    s.type = s.type || "bar";
    var wrapper = el("div", { "class": "sdkg-chart-view" });
    var controls = el("div", { "class": "sdkg-plugin-controls" });
    var redraw = function () { self.destroy(); yasr.resultsEl.innerHTML = ""; self.draw(); };
    controls.appendChild(select("Categories", [["", "(row number)"]].concat(categories.map(function (v) { return [v, "?" + v]; })), s.category, function (v) { s.category = v; redraw(); }));
    controls.appendChild(select("Values", numeric.map(function (v) { return [v, "?" + v]; }), s.value, function (v) { s.value = v; redraw(); }));
    controls.appendChild(select("Chart", [["bar", "Bars"], ["hbar", "Horizontal bars"], ["line", "Line"], ["pie", "Pie"]], s.type, function (v) { s.type = v; redraw(); }));
    wrapper.appendChild(controls);
    var bindings = results.getBindings().slice(0, MAX_ROWS);
    if (results.getBindings().length > MAX_ROWS) {
      wrapper.appendChild(el("p", { "class": "sdkg-plugin-note" }, "Showing the first " + MAX_ROWS + " rows."));
    }
    var box = el("div", { "class": "sdkg-chart" });
    var canvas = el("canvas", { role: "img", "aria-label": "Chart of ?" + s.value + (s.category ? " by ?" + s.category : "") });
    box.appendChild(canvas);
    wrapper.appendChild(box);
    yasr.resultsEl.appendChild(wrapper);
    var labels = bindings.map(function (row, index) {
      var cell = s.category ? row[s.category] : null;
      if (!cell) return String(index + 1);
      if (cell.type === "uri") return labelFor(row, s.category) || shortName(yasr, cell.value);
      return cell.value;
    });
    var values = bindings.map(function (row) { return row[s.value] ? Number(row[s.value].value) : null; });
    var palette = ["#1f5fa8", "#b7791f", "#2f855a", "#a12a2a", "#6b46c1", "#2c7a7b", "#c05621", "#4a5568"];
    var pie = s.type === "pie";
    this.chart = new Chart(canvas, {
      type: s.type === "hbar" ? "bar" : s.type,
      data: {
        labels: labels,
        datasets: [{
          label: "?" + s.value,
          data: values,
          backgroundColor: pie ? labels.map(function (_, i) { return palette[i % palette.length]; }) : "#1f5fa8",
          borderColor: pie ? "#fff" : "#1f5fa8"
        }]
      },
      options: {
        indexAxis: s.type === "hbar" ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: pie } }
      }
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
  GraphPlugin.prototype.draw = function () {
    var elements = this.elements();
    var wrapper = el("div", { "class": "sdkg-graph-view" });
    var note = elements.nodes.length + " nodes, " + elements.edges.length + " links. Drag to move, scroll to zoom, click a node to open its page.";
    if (elements.truncated) note += " Only the first " + MAX_NODES + " nodes are shown.";
    wrapper.appendChild(el("p", { "class": "sdkg-plugin-note" }, note));
    var box = el("div", { "class": "sdkg-graph", role: "img", "aria-label": "Graph of the results: " + elements.nodes.length + " nodes" });
    wrapper.appendChild(box);
    this.yasr.resultsEl.appendChild(wrapper);
    this.cy = cytoscape({
      container: box,
      elements: elements.nodes.concat(elements.edges),
      style: [
        { selector: "node", style: { "background-color": "data(colour)", label: "data(label)", "font-size": 10, "text-wrap": "ellipsis", "text-max-width": 140, color: "#1d2330", "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16 } },
        { selector: "edge", style: { width: 1.2, "line-color": "#a0aec0", "target-arrow-color": "#a0aec0", "target-arrow-shape": "triangle", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#5a6272", "text-rotation": "autorotate", "text-background-color": "#fcfdff", "text-background-opacity": 1 } }
      ],
      layout: elements.nodes.length > 150 ? { name: "concentric", animate: false, padding: 20 } : { name: "cose", animate: false, padding: 30, idealEdgeLength: function () { return 120; }, nodeRepulsion: function () { return 400000; }, nodeOverlap: 20 }
    });
    this.cy.on("tap", "node", function (event) {
      var iri = event.target.data("iri");
      if (iri) window.open(localHref(iri), "_blank", "noopener");
    });
  };

  Yasr.registerPlugin("chart", ChartPlugin);
  Yasr.registerPlugin("graph", GraphPlugin);
})();
