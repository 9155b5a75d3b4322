// Progressive enhancement for the agent pages: copy buttons, and the lookup without a page reload.
// Everything works without it: the form posts and the server answers with the verdict page.
(function () {
  "use strict";

  function wireCopyButtons(root) {
    root.querySelectorAll("button.copy").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = button.dataset.copyText !== undefined
          ? { value: button.dataset.copyText, select: function () {} }
          : document.getElementById(button.dataset.copy);
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
      // A lookup can take a while (providers, retries): after a second, say what it waits for and how long.
      var wait = document.getElementById("lookup-wait");
      var started = Date.now();
      var ticker = window.setInterval(function () {
        var seconds = Math.round((Date.now() - started) / 1000);
        if (wait && seconds >= 1) {
          wait.hidden = false;
          wait.textContent = "Waiting for the blockchain providers' answers and the casino's records… " + seconds + " s";
        }
      }, 500);
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
        if (window.depositdeskTimes) { window.depositdeskTimes(result); }
        if (answer.url) { history.replaceState(null, "", answer.url); }
        result.scrollIntoView({ behavior: "smooth", block: "start" });
      }).catch(function () {
        form.submit();
      }).finally(function () {
        window.clearInterval(ticker);
        if (wait) { wait.hidden = true; }
        button.disabled = false;
        button.textContent = "Investigate";
      });
    });
  }
  wireCopyButtons(document);
})();
