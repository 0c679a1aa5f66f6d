/* Refresh a server-rendered progress block every two seconds until it says it is done.
 * The block names its own address (data-progress-url) and state (data-done); the page
 * works without this script, the reader then reloads it by hand. */
(function () {
  "use strict";
  var INTERVAL = 2000;
  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) {
    return;
  }
  function done() {
    return box.getAttribute("data-done") === "true";
  }
  function schedule() {
    if (!done()) {
      window.setTimeout(refresh, INTERVAL);
    }
  }
  function refresh() {
    window
      .fetch(box.getAttribute("data-progress-url"), {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.querySelector("[data-progress-url]");
        if (fresh) {
          // Keep the live region in place so screen readers announce the change.
          box.innerHTML = fresh.innerHTML;
          box.setAttribute("data-done", fresh.getAttribute("data-done"));
        }
        schedule();
      })
      .catch(schedule);
  }
  schedule();
})();
