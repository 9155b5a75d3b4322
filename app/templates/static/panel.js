// The side panel inside a helpdesk. Opened without a ticket (a Chatwoot Dashboard App has a fixed
// URL), it asks the parent frame for its context and reloads itself with the conversation's id.
// Messages are taken only from the origins in EMBED_ORIGINS.
(function () {
  "use strict";
  var panel = document.getElementById("panel");
  if (!panel || panel.dataset.awaitContext !== "yes" || window.parent === window) { return; }
  var allowed = (panel.dataset.origins || "").split(" ").filter(Boolean);
  window.addEventListener("message", function (event) {
    if (allowed.indexOf(event.origin) < 0) { return; }
    var data = event.data;
    if (typeof data === "string") { try { data = JSON.parse(data); } catch (e) { return; } }
    if (!data || data.event !== "appContext" || !data.data || !data.data.conversation) { return; }
    var id = String(data.data.conversation.id || "");
    if (/^[0-9]{1,20}$/.test(id)) { window.location.replace("/panel?helpdesk=chatwoot&ticket=" + id); }
  });
  allowed.forEach(function (origin) { window.parent.postMessage("chatwoot-dashboard-app:fetch-info", origin); });
})();
