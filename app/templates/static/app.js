// Progressive enhancement for the agent pages: copy buttons, and the lookup without a page reload.
// Everything works without it: the form posts and the server answers with the verdict page.
(function () {
  "use strict";

  function wireCopyButtons(root) {
    root.querySelectorAll("button.copy").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.getElementById(button.dataset.copy);
        if (!field) { return; }
        var done = function () {
          var label = button.textContent;
          button.textContent = "Copied";
          setTimeout(function () { button.textContent = label; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () { field.select(); document.execCommand("copy"); done(); });
        } else {
          field.select();
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  var form = document.getElementById("lookup-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = "Investigating…";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin"
      }).then(function (response) {
        var fragment = response.ok || response.status === 422;
        if (response.redirected || !fragment) { throw new Error("not a verdict fragment"); }
        return response.text().then(function (html) { return { html: html, url: response.headers.get("X-Investigation-Url") }; });
      }).then(function (answer) {
        var result = document.getElementById("result");
        var error = document.getElementById("lookup-error");
        if (error) { error.remove(); }
        result.innerHTML = answer.html;
        wireCopyButtons(result);
        if (answer.url) { history.replaceState(null, "", answer.url); }
        result.scrollIntoView({ behavior: "smooth", block: "start" });
      }).catch(function () {
        form.submit();
      }).finally(function () {
        button.disabled = false;
        button.textContent = "Investigate";
      });
    });
  }
  wireCopyButtons(document);
})();
