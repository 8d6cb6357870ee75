// Keyboard navigation on the review pages: j/k between findings, n/p between items.
// Served from this server (Content-Security-Policy script-src 'self'); no inline scripts anywhere.
(function () {
  "use strict";
  var current = -1;

  function findings() { return Array.prototype.slice.call(document.querySelectorAll("li.finding")); }

  function select(index) {
    var list = findings();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    document.querySelectorAll(".current").forEach(function (el) { el.classList.remove("current"); });
    var li = list[current];
    li.classList.add("current");
    li.focus({ preventScroll: true });
    li.scrollIntoView({ block: "nearest" });
    var id = li.getAttribute("data-finding") || li.id.replace("f-", "");
    document.querySelectorAll("mark.hl").forEach(function (m) {
      if ((" " + m.getAttribute("data-findings") + " ").indexOf(" " + id + " ") >= 0) { m.classList.add("current"); }
    });
    var anchor = document.getElementById("hl-" + id);
    if (anchor) { anchor.scrollIntoView({ block: "center" }); }
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  }

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) { return; }
    if (event.key === "j") { select(current + 1); }
    else if (event.key === "k") { select(current - 1); }
    else if (event.key === "n") { go("next-item"); }
    else if (event.key === "p") { go("prev-item"); }
    else { return; }
    event.preventDefault();
  });

  // Clicking a highlighted passage selects its finding in the list.
  document.addEventListener("click", function (event) {
    var m = event.target.closest ? event.target.closest("mark.hl") : null;
    if (!m) { return; }
    var first = (m.getAttribute("data-findings") || "").split(" ")[0];
    var list = findings();
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === "f-" + first) { select(i); break; }
    }
  });
  // Tells tests (and anyone curious) that the keyboard handlers are installed: the script is deferred.
  document.documentElement.setAttribute("data-keys-ready", "1");
})();
