// Live refresh for the Task Monitor page: every data-monitor-refresh
// milliseconds it fetches the page again and swaps in the new #monitor,
// unless the task lookup is being typed in.
"use strict";

(function () {
  var root = document.getElementById("monitor");
  if (!root) {
    return;
  }
  var period = parseInt(root.dataset.monitorRefresh || "0", 10);
  if (!period) {
    return;
  }
  var last = Date.now();
  function tick() {
    var active = document.activeElement;
    if (active && active.form && active.form.id === "lookup") {
      return;
    }
    fetch(window.location.href, {headers: {"Accept": "text/html"}, cache: "no-store"})
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error(resp.status + " " + resp.statusText);
        }
        return resp.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("monitor");
        var now = document.getElementById("monitor");
        if (fresh && now) {
          now.replaceChildren.apply(now, Array.from(fresh.childNodes).map(function (n) {
            return document.importNode(n, true);
          }));
          last = Date.now();
        }
      })
      .catch(function () {
        var u = document.getElementById("monitor-updated");
        if (u) {
          u.className = "stale";
          u.textContent = "stale since " + new Date(last).toLocaleTimeString();
        }
      });
  }
  setInterval(tick, period);
})();
