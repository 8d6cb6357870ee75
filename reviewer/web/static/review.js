// Keyboard navigation on the review pages: j/k between findings (or queue rows), Enter opens a row, n/p between items.
// The sign-off form is kept as a draft in this browser (localStorage, keyed by item and content hash) while the
// reviewer works, so an expired session or a stale form loses nothing; a successful sign-off removes the draft.
// Served from this server (Content-Security-Policy script-src 'self'); no inline scripts anywhere.
(function () {
  "use strict";
  var current = -1;
  var DRAFT_PREFIX = "rv-draft:";

  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function findings() { return all("li.finding"); }
  function rows() { return all("tr.queue-row"); }

  function select(index) {
    var list = findings();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    all(".current").forEach(function (el) { el.classList.remove("current"); });
    var li = list[current];
    li.classList.add("current");
    li.focus({ preventScroll: true });
    li.scrollIntoView({ block: "nearest" });
    var id = li.getAttribute("data-finding") || li.id.replace("f-", "");
    all("mark.hl").forEach(function (m) {
      if ((" " + m.getAttribute("data-findings") + " ").indexOf(" " + id + " ") >= 0) { m.classList.add("current"); }
    });
    var anchor = document.getElementById("hl-" + id);
    if (anchor) { anchor.scrollIntoView({ block: "center" }); }
  }

  function selectRow(index) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    var row = list[current];
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a.item-link");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  }

  // Fields where a letter is text: shortcuts stay out of them (a radio or a checkbox is not such a field, so j/k
  // keep working after a disposition was clicked). Esc leaves any field and returns to the current finding.
  var TEXT_TYPES = ["text", "search", "password", "number", "email", "url", "tel", "date", "datetime-local", "month", "week", "time"];
  function typing(t) {
    if (!t) { return false; }
    if (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable) { return true; }
    return t.tagName === "INPUT" && TEXT_TYPES.indexOf((t.getAttribute("type") || "text").toLowerCase()) >= 0;
  }

  function help() { return document.getElementById("keys-help"); }
  function toggleHelp(show) {
    var h = help();
    if (!h) { return; }
    if (show) { h.hidden = false; h.setAttribute("aria-hidden", "false"); var close = h.querySelector("button"); if (close) { close.focus(); } }
    else { h.hidden = true; h.setAttribute("aria-hidden", "true"); }
  }

  // m (or c) / o / f: the current finding is 须修改 / 属实但可公开 / 误报 (the last two put the cursor in its reason)
  function dispose(value) {
    var li = findings()[current];
    if (!li) { return false; }
    var id = li.getAttribute("data-finding");
    var radio = document.querySelector('input[name="disp_' + id + '"][value="' + value + '"]');
    if (!radio) { return false; }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var reason = document.getElementById("reason-" + id);
    if ((value === "false_positive" || value === "public_ok") && reason) { reason.focus(); }
    return true;
  }

  // a / r / x: choose 批准发布 / 退回修改 / 不予发布 and go to the submit button (Enter signs; nothing is sent by a letter)
  function decide(value) {
    var radio = document.querySelector('input[name="decision"][value="' + value + '"]');
    if (!radio) { return false; }
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    var submit = document.getElementById("sign-submit");
    if (submit) { submit.focus(); submit.scrollIntoView({ block: "center" }); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") {
      var h = help();
      if (h && !h.hidden) { toggleHelp(false); event.preventDefault(); return; }
      if (t && t !== document.body && t.blur) {
        t.blur();
        var li = findings()[current];
        if (li) { li.focus({ preventScroll: true }); }
        event.preventDefault();
      }
      return;
    }
    if (typing(t)) { return; }
    var queue = rows().length > 0;
    var done = true;
    if (event.key === "j") { if (queue) { selectRow(current + 1); } else { select(current + 1); } }
    else if (event.key === "k") { if (queue) { selectRow(current - 1); } else { select(current - 1); } }
    else if (event.key === "Enter" && queue && current >= 0) {
      var href = rows()[current].getAttribute("data-open");
      if (href) { window.location.href = href; }
    }
    else if (event.key === "n" && !queue) { go("next-item"); }
    else if (event.key === "p" && !queue) { go("prev-item"); }
    else if (event.key === "?") { toggleHelp(true); }
    else if ((event.key === "m" || event.key === "c") && !queue) { done = dispose("must_fix"); }
    else if (event.key === "o" && !queue) { done = dispose("public_ok"); }
    else if (event.key === "f" && !queue) { done = dispose("false_positive"); }
    else if (event.key === "a" && !queue) { done = decide("approve"); }
    else if (event.key === "r" && !queue) { done = decide("return"); }
    else if (event.key === "x" && !queue) { done = decide("reject"); }
    else { return; }
    if (done) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    var b = event.target.closest ? event.target.closest("[data-close-help]") : null;
    if (b) { toggleHelp(false); }
    var open = event.target.closest ? event.target.closest("[data-open-help]") : null;
    if (open) { event.preventDefault(); toggleHelp(true); }
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

  // --- drafts of the sign-off form -------------------------------------------------------------------------------
  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function fields(form) {
    return Array.prototype.slice.call(form.elements).filter(function (el) {
      return el.name && el.name !== "csrf_token" && el.name !== "content_sha256";
    });
  }

  function snapshot(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { data[el.name] = el.value; } }
      else { data[el.name] = el.value; }
    });
    return data;
  }

  function restore(form, data) {
    var changed = false;
    fields(form).forEach(function (el) {
      if (!(el.name in data)) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        var on = data[el.name] === el.value;
        if (el.checked !== on) { el.checked = on; changed = true; }
      } else if (el.value !== data[el.name]) { el.value = data[el.name]; changed = true; }
    });
    return changed;
  }

  function undisposed(form) {
    var box = document.getElementById("undisposed");
    if (!box) { return; }
    var open = findings().filter(function (li) {
      var id = li.getAttribute("data-finding");
      return !form.querySelector('input[name="disp_' + id + '"]:checked');
    });
    while (box.firstChild) { box.removeChild(box.firstChild); }
    if (!findings().length) { return; }
    if (!open.length) { box.appendChild(document.createTextNode("全部发现均已处置。")); return; }
    box.appendChild(document.createTextNode("尚有 " + open.length + " 条未处置："));
    open.forEach(function (li, i) {
      var a = document.createElement("a");
      a.href = "#" + li.id;
      var head = li.querySelector(".f-head");
      a.textContent = head ? head.textContent.replace(/\s+/g, " ").trim() : li.id;
      box.appendChild(a);
      if (i < open.length - 1) { box.appendChild(document.createTextNode("、")); }
    });
  }

  var form = document.getElementById("sign-form");
  var store = storage();
  if (form) {
    var key = form.getAttribute("data-draft-key");
    if (store && key) {
      var saved = null;
      try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
      if (form.getAttribute("data-kept") === "1") {
        store.setItem(key, JSON.stringify(snapshot(form)));  // the server showed what was entered: that is the draft
      } else if (saved && restore(form, saved)) {
        var note = document.createElement("p");
        note.className = "msg notice";
        note.id = "draft-restored";
        note.setAttribute("role", "status");
        note.textContent = "已恢复您此前在本页填写但尚未签署的内容，请核对后签署。";
        form.insertBefore(note, form.firstChild);
      }
      var save = function () { store.setItem(key, JSON.stringify(snapshot(form))); undisposed(form); };
      form.addEventListener("input", save);
      form.addEventListener("change", save);
      form.addEventListener("submit", function () { store.setItem(key, JSON.stringify(snapshot(form))); });
    }
    form.addEventListener("change", function () { undisposed(form); });
    undisposed(form);
  }
  var clear = document.getElementById("draft-clear");
  if (clear && store) {  // signed: this item's drafts are done with
    var prefix = DRAFT_PREFIX + clear.getAttribute("data-item") + ":";
    for (var i = store.length - 1; i >= 0; i--) {
      var k = store.key(i);
      if (k && k.indexOf(prefix) === 0) { store.removeItem(k); }
    }
  }
  var logout = document.getElementById("logout-form");
  // Unsigned work: the drafts (in this browser) that hold a disposition, a reason or a comment.
  function unsignedDrafts() {
    var n = 0;
    for (var j = 0; j < store.length; j++) {
      var k = store.key(j);
      if (!k || k.indexOf(DRAFT_PREFIX) !== 0) { continue; }
      var d = null;
      try { d = JSON.parse(store.getItem(k) || "null"); } catch (e) { d = null; }
      if (!d) { continue; }
      for (var name in d) {
        if (Object.prototype.hasOwnProperty.call(d, name) && d[name] && /^(disp_|reason_|comment$)/.test(name)) { n++; break; }
      }
    }
    return n;
  }
  if (logout && store) {  // an explicit logout leaves no draft behind on a shared machine — after asking
    logout.addEventListener("submit", function (event) {
      var n = unsignedDrafts();
      if (n && !window.confirm("您有 " + n + " 件稿件已填写处置或意见但尚未签署。退出后这些内容将被清除（不会保存到服务器）。确定退出吗？")) {
        event.preventDefault();
        return;
      }
      for (var j = store.length - 1; j >= 0; j--) {
        var k2 = store.key(j);
        if (k2 && k2.indexOf(DRAFT_PREFIX) === 0) { store.removeItem(k2); }
      }
    });
  }
  // Tells tests (and anyone curious) that the keyboard handlers are installed: the script is deferred.
  document.documentElement.setAttribute("data-keys-ready", "1");
})();
