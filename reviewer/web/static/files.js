// File fields in Chinese: the browser's own file button speaks the browser's language ("Choose Files"), so the page
// shows its own 选择文件 button (a label around the visually hidden input) and says which files were chosen.
// Served from this server (Content-Security-Policy script-src 'self'); no inline scripts anywhere.
(function () {
  "use strict";
  function update(input) {
    var shown = document.getElementById(input.getAttribute("data-chosen"));
    if (!shown) { return; }
    var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
    shown.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.slice(0, 5).join("、") +
      (names.length > 5 ? " 等" : "") : "未选择文件";
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t && t.matches && t.matches("input.file-input")) { update(t); }
  });
})();
