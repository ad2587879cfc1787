// Progressive enhancement of a document's page: the progress line of a run started from the
// dashboard follows /jobs/current, and the page reloads when the run ends. Without
// JavaScript a <noscript> refresh does the same.
(function () {
  "use strict";
  var line = document.getElementById("job");
  if (!line || !line.dataset.running) { return; }
  function show(job) {
    if (job.status === "running") {
      line.textContent = job.kind + ": running" +
        (job.total !== null ? ", " + job.done + " of " + job.total + " done" : "");
      window.setTimeout(poll, 2000);
    } else {
      window.location.reload();
    }
  }
  function poll() {
    fetch("/jobs/current", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(show)
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 2000);
}());
