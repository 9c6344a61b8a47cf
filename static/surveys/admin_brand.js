// The brand form: a colour picker beside the hex field, and the contrast table redrawn as the
// colour changes. The server computes the table (surveys/brand_colours.py), so there is one
// implementation of the rule. Swatches are coloured through the CSSOM, which the
// Content-Security-Policy allows (style attributes in markup it refuses).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var field = document.querySelector("[data-brand-colour]");
    var box = document.querySelector("[data-brand-contrast]");
    if (!field || !box) return;
    var url = field.getAttribute("data-contrast-url");
    var picker = document.createElement("input");
    picker.type = "color";
    picker.className = "brand-picker";
    picker.setAttribute("aria-label", field.labels && field.labels[0] ? field.labels[0].textContent + " (picker)" : "Colour picker");
    if (/^#[0-9a-fA-F]{6}$/.test(field.value)) picker.value = field.value.toLowerCase();
    field.insertAdjacentElement("afterend", picker);
    box.setAttribute("aria-live", "polite");

    function cell(row, text) {
      var td = document.createElement("td");
      td.textContent = text;
      row.appendChild(td);
      return td;
    }
    function swatch(td, fg, bg) {
      var span = document.createElement("span");
      span.className = "brand-swatch";
      span.textContent = "Aa";
      span.style.color = fg;
      span.style.backgroundColor = bg;
      span.style.borderColor = fg;
      td.insertBefore(span, td.firstChild);
    }
    function draw(data) {
      var table = document.createElement("table");
      table.className = "brand-contrast";
      var head = table.createTHead().insertRow();
      ["Page", "What", "Colours", "Contrast", "Needed"].forEach(function (t) {
        var th = document.createElement("th");
        th.textContent = t;
        head.appendChild(th);
      });
      var body = table.createTBody();
      data.pairs.forEach(function (p) {
        var row = body.insertRow();
        cell(row, p.mode);
        cell(row, p.what);
        swatch(cell(row, " " + p.foreground + " on " + p.background), p.foreground, p.background);
        cell(row, p.ratio.toFixed(2) + ":1");
        cell(row, "≥ " + p.minimum + ":1 " + (p.passes ? "✓" : "✗"));
      });
      box.replaceChildren(table);
    }
    var pending = 0;
    function update() {
      var value = field.value.trim().toLowerCase();
      if (!/^#[0-9a-f]{6}$/.test(value)) {
        box.replaceChildren(document.createTextNode(value ? "Enter a colour as # and six hex digits." : "No colour chosen: the pages keep their own blue."));
        return;
      }
      var ticket = ++pending;
      fetch(url + "?colour=" + encodeURIComponent(value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { if (ticket === pending && data.pairs) draw(data); });
    }
    field.addEventListener("input", function () {
      if (/^#[0-9a-fA-F]{6}$/.test(field.value.trim())) picker.value = field.value.trim().toLowerCase();
      update();
    });
    picker.addEventListener("input", function () { field.value = picker.value; update(); });
    update();
  });
})();
