// Times in the viewer's own time zone: <time datetime="…" data-local="time|full|relative"> is
// written by the server in UTC ("14:02 UTC", kept on hover); this turns it into "14:02" or
// "2 min ago". Without JavaScript the UTC text stays.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;

  function ago(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    var abs = Math.abs(seconds);
    if (!relative) { return date.toLocaleString(lang); }
    if (abs < 60) { return relative.format(seconds, "second"); }
    if (abs < 3600) { return relative.format(Math.round(seconds / 60), "minute"); }
    if (abs < 86400) { return relative.format(Math.round(seconds / 3600), "hour"); }
    return relative.format(Math.round(seconds / 86400), "day");
  }

  function render(root) {
    (root || document).querySelectorAll("time[data-local]").forEach(function (node) {
      var date = new Date(node.getAttribute("datetime"));
      if (isNaN(date.getTime())) { return; }
      var mode = node.dataset.local;
      if (mode === "relative") {
        node.textContent = ago(date);
      } else if (mode === "time") {
        var sameDay = date.toDateString() === new Date().toDateString();
        node.textContent = sameDay
          ? date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" })
          : date.toLocaleString(lang, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
      } else {
        node.textContent = date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
      }
    });
  }
  window.depositdeskTimes = render;
  render(document);
  window.setInterval(function () { render(document); }, 30000);
})();
