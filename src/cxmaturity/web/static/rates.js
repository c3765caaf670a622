/* Response rate, live: refreshes the table of the assessment overview every 10 seconds.
   Progressive enhancement only: without this script the page shows the rates as they were when it loaded. */
(function () {
  "use strict";
  var table = document.getElementById("rates");
  if (!table || !window.fetch || !table.tBodies.length) {
    return;
  }
  var source = table.getAttribute("data-source");
  var INTERVAL = 10000;

  function row(item, tag) {
    var tr = document.createElement("tr");
    var head = document.createElement("th");
    head.scope = "row";
    head.textContent = item.group;
    tr.appendChild(head);
    ["invited", "started", "completed", "percent"].forEach(function (field) {
      var td = document.createElement(tag || "td");
      td.className = "num";
      td.textContent = String(item[field]);
      tr.appendChild(td);
    });
    return tr;
  }

  function show(data) {
    if (!data || !Array.isArray(data.groups) || !data.total) {
      return;
    }
    var body = table.tBodies[0];
    if (data.groups.length) {
      var rows = document.createDocumentFragment();
      data.groups.forEach(function (item) {
        rows.appendChild(row(item));
      });
      body.replaceChildren(rows);
    }
    if (table.tFoot) {
      table.tFoot.replaceChildren(row(data.total));
    }
    table.setAttribute("data-updated", new Date().toISOString());
  }

  function poll() {
    if (document.visibilityState === "hidden") {
      return;
    }
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(show)
      .catch(function () {
        /* Offline for a moment: the next poll tries again. */
      });
  }

  window.setInterval(poll, INTERVAL);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      poll();
    }
  });
})();
