// The replay origin's placeholder page (/replay-sw/): the server answers it only while
// ReplayWeb.page's service worker does not yet control the frame (first visit), and the
// worker may take control of this very page after it loaded from the server. Either way it
// is not the worker's page: reload once the worker is ready, so the worker answers. Not
// again within a few seconds, so a worker that never answers cannot make it loop.
(function () {
  "use strict";
  var workers = navigator.serviceWorker;
  if (!workers) {
    return;
  }
  var key = "citewatch-replay-reloaded-at";
  try {
    var last = Number(sessionStorage.getItem(key) || "0");
    if (Date.now() - last < 5000) {
      return;
    }
    sessionStorage.setItem(key, String(Date.now()));
  } catch (error) {
    return; // storage refused: so is the worker, and `ready` would never settle
  }
  workers.ready.then(function () {
    window.location.reload();
  });
})();
