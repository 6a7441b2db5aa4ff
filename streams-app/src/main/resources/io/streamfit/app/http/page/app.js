// The live page: polls this instance's read-only endpoints and keeps the history in the browser.
// Each section writes what it shows into data-* attributes (points, models, reasons), which the
// browser test (LivePageIT) reads from the DOM.
(function () {
  "use strict";

  var params = new URLSearchParams(location.search);
  var EVERY_MS = Math.max(500, parseInt(params.get("every") || "3000", 10) || 3000);
  var MAX_SAMPLES = 1200;   // an hour at the default poll interval
  var MAX_CHARTED = 6;      // model keys drawn on the learning curves
  var MAX_DETAILED = 5;     // model keys whose versions and variants are fetched each poll
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

  var samples = [];         // {t, obj: {key: rmse}, sum: {key: rmse}, floorObj, floorSum}
  var charts = {};          // id -> {plot, signature}
  var polls = 0;

  function $(id) { return document.getElementById(id); }

  function getJson(path) {
    return fetch(path, {cache: "no-store"}).then(function (r) {
      if (!r.ok && r.status !== 503) { throw new Error(path + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function getText(path) {
    return fetch(path, {cache: "no-store"}).then(function (r) {
      if (!r.ok) { throw new Error(path + ": HTTP " + r.status); }
      return r.text();
    });
  }

  // Prometheus text format: name{label="value",...} number
  function parseMetrics(text) {
    var out = [];
    text.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === "#") { return; }
      var m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) { return; }
      var labels = {};
      var re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      var l;
      while ((l = re.exec(m[3] || "")) !== null) { labels[l[1]] = l[2].replace(/\\(.)/g, "$1"); }
      out.push({name: m[1], labels: labels, value: parseFloat(m[4])});
    });
    return out;
  }

  function fmt(v, digits) {
    return v === null || v === undefined || !isFinite(v) ? "–" : Number(v).toFixed(digits === undefined ? 4 : digits);
  }

  function text(tag, content, cls) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (cls) { el.className = cls; }
    return el;
  }

  function fillTable(tbody, rows, columns, emptyText) {
    tbody.replaceChildren();
    if (rows.length === 0) {
      var tr = document.createElement("tr");
      var td = text("td", emptyText, "empty");
      td.colSpan = columns;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (c) { tr.appendChild(text("td", String(c))); });
      tbody.appendChild(tr);
    });
  }

  // Draws (or redraws) a chart; a new set of series makes a new uPlot, new data only setData.
  function draw(id, seriesSpecs, data, time) {
    var el = $(id);
    var signature = JSON.stringify(seriesSpecs);
    var c = charts[id];
    if (c && c.signature !== signature) {
      c.plot.destroy();
      c = null;
    }
    if (!c) {
      var opts = {
        width: Math.max(300, el.clientWidth - 2),
        height: 220,
        scales: {x: {time: time}},
        series: [{label: time ? "time" : "timestep"}].concat(seriesSpecs.map(function (s, i) {
          return {label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.5,
                  dash: s.dash, spanGaps: true, points: {show: s.points === true}};
        })),
        axes: [{}, {size: 60}],
        legend: {live: false}
      };
      c = charts[id] = {plot: new uPlot(opts, data, el), signature: signature};
    } else {
      c.plot.setData(data);
    }
  }

  function updateCurves(modelsBody, metrics) {
    var now = Date.now() / 1000;
    var sample = {t: now, obj: {}, sum: {}, floorObj: null, floorSum: null};
    var keys = Object.keys(modelsBody.models || {});
    keys.forEach(function (k) {
      var p = modelsBody.models[k].prequential || {};
      sample.obj[k] = p.objectRmse === undefined ? null : p.objectRmse;
      sample.sum[k] = p.sumRmse === undefined ? null : p.sumRmse;
    });
    metrics.forEach(function (m) {
      if (m.name === "streamfit_demo_noise_floor_rmse") {
        if (m.labels.target === "object") { sample.floorObj = m.value; }
        if (m.labels.target === "sum") { sample.floorSum = m.value; }
      }
    });
    samples.push(sample);
    if (samples.length > MAX_SAMPLES) { samples.shift(); }

    var charted = keys.slice(0, MAX_CHARTED);
    var hasFloor = samples.some(function (s) { return s.floorObj !== null; });
    ["obj", "sum"].forEach(function (which) {
      var specs = charted.map(function (k, i) { return {label: k, color: COLORS[i % COLORS.length]}; });
      var data = [samples.map(function (s) { return s.t; })];
      charted.forEach(function (k) {
        data.push(samples.map(function (s) { var v = s[which][k]; return v === undefined ? null : v; }));
      });
      if (hasFloor) {
        specs.push({label: "noise floor", color: "#888", dash: [6, 4]});
        data.push(samples.map(function (s) { return which === "obj" ? s.floorObj : s.floorSum; }));
      }
      draw(which === "obj" ? "chart-object" : "chart-sum", specs, data, true);
    });
    var points = samples.filter(function (s) {
      return charted.some(function (k) { return s.obj[k] !== null && s.obj[k] !== undefined; });
    }).length;
    var section = $("curves");
    section.dataset.points = String(points);
    section.dataset.models = String(charted.length);
    section.dataset.noiseFloor = sample.floorObj === null ? "none" : String(sample.floorObj);
  }

  function updatePredictions(recent) {
    var list = recent.predictions || [];
    var section = $("predictions");
    if (list.length === 0) {
      section.dataset.points = "0";
      draw("chart-predictions", [{label: "prediction"}, {label: "target"}], [[], [], []], false);
      return;
    }
    var series = list[list.length - 1].series;
    var mine = list.filter(function (p) { return p.series === series; });
    var data = [mine.map(function (p) { return p.timestep; }),
                mine.map(function (p) { return p.prediction; }),
                mine.map(function (p) { return p.sumTarget; })];
    draw("chart-predictions", [{label: "prediction", color: "#1f77b4", points: true},
                               {label: "target", color: "#2ca02c", dash: [4, 3], points: true}], data, false);
    section.dataset.points = String(mine.length);
    section.dataset.series = series;
    $("predictions-hint").textContent = "the newest " + mine.length + " sum predictions of series " + series
      + " (x: timestep)";
  }

  function updateModels(modelsBody) {
    var keys = Object.keys(modelsBody.models || {});
    var details = keys.slice(0, MAX_DETAILED).map(function (k) {
      var enc = encodeURIComponent(k);
      return Promise.all([getJson("/models/" + enc).catch(function () { return null; }),
                          getJson("/models/" + enc + "/versions").catch(function () { return null; })]);
    });
    return Promise.all(details).then(function (got) {
      var rows = keys.map(function (k, i) {
        var m = modelsBody.models[k];
        var p = m.prequential || {};
        var d = got[i] ? got[i][0] : null;
        var v = got[i] ? got[i][1] : null;
        var variants = "–";
        if (d && d.variants) {
          variants = Object.keys(d.variants).map(function (name) {
            var x = d.variants[name];
            return name + " (" + x.role + ", v" + x.version + ")";
          }).join(", ");
        }
        var kept = v && v.versions && v.versions.length > 0
          ? v.versions.map(function (x) { return "v" + x.version; }).join(" ") : "–";
        return [k, m.version, m.generation, m.records, fmt(p.objectRmse), fmt(p.sumRmse),
                (m.divergence || {}).rollbacks || 0, kept, variants];
      });
      fillTable($("models-body"), rows, 9, "no models yet");
      $("models").dataset.models = String(rows.length);
      $("models").dataset.total = String(modelsBody.total || 0);
    });
  }

  function updateCounters(metrics) {
    var reasons = {};
    var events = {};
    metrics.forEach(function (m) {
      if (m.name === "streamfit_dead_letters_total" && m.value > 0) {
        reasons[m.labels.reason] = (reasons[m.labels.reason] || 0) + m.value;
      }
      if (m.name === "streamfit_model_events_total" && m.value > 0) {
        events[m.labels.event] = (events[m.labels.event] || 0) + m.value;
      }
    });
    var reasonRows = Object.keys(reasons).sort().map(function (r) { return [r, reasons[r]]; });
    fillTable($("dead-letters-body"), reasonRows, 2, "none");
    $("dead-letters").dataset.reasons = String(reasonRows.length);
    $("dead-letters").dataset.total = String(reasonRows.reduce(function (a, r) { return a + r[1]; }, 0));
    var eventRows = Object.keys(events).sort().map(function (e) { return [e, events[e]]; });
    fillTable($("events-body"), eventRows, 2, "none yet");
    $("events").dataset.events = String(eventRows.length);
  }

  function poll() {
    var status = $("status");
    Promise.all([getJson("/models?limit=50"), getText("/metrics").then(parseMetrics),
                 getJson("/recent?limit=200"), getJson("/health").catch(function () { return {status: "?"}; })])
      .then(function (r) {
        updateCurves(r[0], r[1]);
        updatePredictions(r[2]);
        updateCounters(r[1]);
        return updateModels(r[0]).then(function () { return r[3]; });
      })
      .then(function (health) {
        polls++;
        status.className = "";
        status.dataset.polls = String(polls);
        status.textContent = "health " + health.status + " · updated " + new Date().toLocaleTimeString()
          + " · every " + (EVERY_MS / 1000) + " s";
      })
      .catch(function (e) {
        status.className = "error";
        status.textContent = "cannot reach the service: " + e.message;
      })
      .then(function () { setTimeout(poll, EVERY_MS); });
  }

  poll();
})();
