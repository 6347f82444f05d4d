/* Tables and figures wider than the screen scroll inside their box. While a box scrolls it is
   a named region that takes keyboard focus, so it can be scrolled without a mouse (axe:
   scrollable-region-focusable); its name comes from the heading above it and is unique on the
   page (axe: landmark-unique). Boxes that fit are left alone, out of the tab order. Runs after
   Material has wrapped the tables and added its copy buttons, and again when the window
   changes size. */
(function () {
  "use strict";
  var KINDS = { "md-typeset__scrollwrap": "Table", "kb-figure__scroll": "Figure" };
  var SELECTOR = Object.keys(KINDS).map(function (name) { return "." + name; }).join(", ");
  var MARKS = ["data-kb-scrolls", "tabindex", "role", "aria-label"];

  function kind(box) {
    for (var name in KINDS) {
      if (box.classList.contains(name)) return KINDS[name];
    }
    return "Content";
  }

  /* The text of the nearest heading before the box, without its permalink sign. */
  function heading(box) {
    for (var node = box; node && !node.matches("article"); node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-6]$/.test(before.tagName)) {
          return before.textContent.replace(/\u00b6/g, "").trim();
        }
      }
    }
    return "";
  }

  function mark() {
    var used = {};
    document.querySelectorAll(SELECTOR).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (!scrolls) {
        MARKS.forEach(function (attribute) { box.removeAttribute(attribute); });
        return;
      }
      var title = heading(box);
      var name = kind(box) + (title ? " under \u201c" + title + "\u201d" : "");
      used[name] = (used[name] || 0) + 1;
      if (used[name] > 1) name += " (" + used[name] + ")";
      box.setAttribute("data-kb-scrolls", "");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", name + ", scrolls sideways");
    });
    /* Material puts each code block's copy button in a navigation landmark of its own: one
       unnamed landmark per code block, none of them navigation (axe: landmark-unique) */
    document.querySelectorAll("nav.md-code__nav:not([role])").forEach(function (nav) {
      nav.setAttribute("role", "none");
    });
    document.documentElement.setAttribute("data-kb-ready", "");
  }

  function later() { window.requestAnimationFrame(mark); }
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(later);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", later);
  } else {
    later();
  }
  window.addEventListener("resize", later);
})();
