// Pages that follow something eventual (an order awaiting its decision, a policy notice
// going out) name how often to look again in <meta name="allwan-follow" content="seconds">.
// This script fetches the page again at that pace and swaps in its main content, until the
// page it gets no longer asks to be followed. Without JavaScript the page has a link to look
// again; nothing reloads by itself (WCAG 2.2.1).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="allwan-follow"]');
  if (!meta || !window.fetch || !window.DOMParser) { return; }
  var seconds = parseFloat(meta.getAttribute("content")) || 2;

  function look() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (answer.redirected) {
          // The thing followed has a page of its own now (a published version's number).
          window.location.assign(answer.url);
          return Promise.reject("moved");
        }
        return answer.ok ? answer.text() : Promise.reject(answer.status);
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var main = document.querySelector("main");
        var next = fresh.querySelector("main");
        if (main && next) { main.innerHTML = next.innerHTML; }
        if (fresh.querySelector('meta[name="allwan-follow"]')) {
          window.setTimeout(look, seconds * 1000);
        }
      })
      .catch(function (why) { if (why !== "moved") { window.setTimeout(look, seconds * 2000); } });
  }
  window.setTimeout(look, seconds * 1000);
})();
