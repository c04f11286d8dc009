// Live refresh for the Sluice dashboard. Each page marks the element whose
// numbers refresh with data-json (the URL of the same data as JSON); every
// data-refresh milliseconds this fetches it and updates the elements
// marked data-field (text) and data-spark (sparkline points) in place.
"use strict";

(function () {
  var period = parseInt(document.body.dataset.refresh || "0", 10);
  var root = document.querySelector("[data-json]");
  if (!period || !root) {
    return;
  }
  var url = root.dataset.json + window.location.search;
  var updated = document.getElementById("updated");

  // points draws values in a w×h box like the server's sparkPoints.
  function points(values, w, h) {
    if (!values || values.length === 0) {
      return "0," + (h - 1) + " " + w + "," + (h - 1);
    }
    var top = Math.max.apply(null, values) || 1;
    var step = w / Math.max(values.length - 1, 1);
    return values.map(function (v, i) {
      var x = values.length === 1 ? w : i * step;
      var y = (h - 1) - v / top * (h - 2);
      return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
  }

  // fill updates the fields and sparklines inside el from obj.
  function fill(el, obj) {
    el.querySelectorAll("[data-field]").forEach(function (f) {
      var v = obj[f.dataset.field];
      if (v !== undefined && String(v) !== f.textContent) {
        f.textContent = v;
      }
    });
    el.querySelectorAll("[data-spark]").forEach(function (line) {
      var box = line.ownerSVGElement.viewBox.baseVal;
      line.setAttribute("points", points(obj[line.dataset.spark], box.width, box.height));
    });
  }

  function byAttr(attr, value) {
    return root.querySelector("[" + attr + "=\"" + CSS.escape(value) + "\"]");
  }

  function apply(data) {
    if (data.rows) { // the queues overview
      data.rows.forEach(function (row) {
        var tr = byAttr("data-queue", row.name);
        if (tr) {
          fill(tr, row);
        }
      });
      document.querySelectorAll("[data-total]").forEach(function (el) {
        el.textContent = data.totals[el.dataset.total];
      });
    } else if (data.topics) { // the topics page
      data.topics.forEach(function (t) {
        var sec = byAttr("data-topic", t.name);
        if (!sec) {
          return;
        }
        sec.querySelectorAll("h2 [data-field]").forEach(function (f) {
          f.textContent = t[f.dataset.field];
        });
        (t.subs || []).forEach(function (s) {
          var g = sec.querySelector("[data-sub=\"" + CSS.escape(s.id) + "\"]");
          if (g) {
            var flat = Object.assign({copies: s.copies, filtered: s.filtered}, s.outcomes || {});
            fill(g, flat);
          }
        });
      });
    } else { // one queue, and the page of its tenants' table
      fill(root, data);
      (data.tenants || []).forEach(function (t) {
        var tr = document.querySelector("tr[data-tenant=\"" + CSS.escape(t.tenant) + "\"]");
        if (tr) {
          fill(tr, t);
        }
      });
    }
  }

  function refresh() {
    fetch(url, {headers: {Accept: "application/json"}, cache: "no-store"})
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error("HTTP " + resp.status);
        }
        return resp.json();
      })
      .then(function (data) {
        apply(data);
        if (updated) {
          updated.textContent = new Date().toLocaleTimeString();
          updated.classList.remove("stale");
        }
      })
      .catch(function () {
        if (updated) {
          updated.textContent = "offline";
          updated.classList.add("stale");
        }
      })
      .finally(function () {
        window.setTimeout(refresh, period);
      });
  }
  window.setTimeout(refresh, period);
})();
