/* The layout on a phone: the menu folds behind a button, tables become cards, drawers start closed.
   Without JavaScript everything stays open and tables scroll sideways inside their box. */
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 47.99rem)");

  function menu() {
    var toggle = document.querySelector(".menu-toggle");
    var panel = document.getElementById("menu");
    if (!toggle || !panel) return;
    toggle.hidden = false;
    function apply() {
      panel.hidden = narrow.matches && toggle.getAttribute("aria-expanded") !== "true";
    }
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      apply();
      if (!open) {
        var first = panel.querySelector("a, button, select");
        if (first) first.focus();
      }
    });
    narrow.addEventListener("change", apply);
    apply();
  }

  // Each cell learns its column's heading, which the phone layout writes before it (a table as cards).
  function cards() {
    var tables = document.querySelectorAll("table.data:not(.keep-table)");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) return;
      var names = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (names[column] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[column]);
          column += cell.colSpan || 1;
        });
      });
      table.classList.add("cards");
    });
  }

  // A drawer (<details data-drawer>) is open on a wide screen and starts closed on a phone.
  function drawers() {
    Array.prototype.forEach.call(document.querySelectorAll("details[data-drawer]"), function (drawer) {
      if (narrow.matches && !drawer.hasAttribute("data-keep-open")) drawer.open = false;
    });
  }

  // After a failed submit: each entry of the error summary names its field, and focus moves to the summary.
  function errors() {
    var summary = document.querySelector(".error-summary");
    if (!summary) return;
    Array.prototype.forEach.call(summary.querySelectorAll('a[href^="#f-"]'), function (link) {
      var label = document.querySelector('label[for="' + link.getAttribute("href").slice(1) + '"]');
      if (!label || link.querySelector(".field-name")) return;
      var name = document.createElement("span");
      name.className = "field-name";
      name.textContent = label.textContent.replace("*", "").trim() + ": ";
      link.insertBefore(name, link.firstChild);
    });
    summary.focus();
  }

  function start() { menu(); cards(); drawers(); errors(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
