// The player's status page keeps itself current: it asks /api/status/{token} with the ETag it
// has, and reloads when the state changed. It stops once the verdict is final.
(function () {
  "use strict";
  var box = document.getElementById("status");
  if (!box || box.dataset.final === "true") { return; }
  var etag = box.dataset.etag;
  var delay = parseInt(box.dataset.pollMs || "15000", 10);

  function poll() {
    fetch(box.dataset.poll, { headers: { "If-None-Match": '"' + etag + '"' }, cache: "no-store", credentials: "omit" })
      .then(function (response) {
        if (response.status === 304) { return null; }
        if (response.status === 429) { delay = Math.min(delay * 2, 120000); return null; }
        if (!response.ok) { return null; }
        return response.json();
      })
      .then(function (state) {
        if (state && state.etag !== etag) { window.location.reload(); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay * 2); });
  }
  window.setTimeout(poll, delay);
})();
