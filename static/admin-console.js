// The admin's autocomplete boxes (select2) draw a combobox that is named by its current text, which is empty
// until something is chosen: name each after its field's label (WCAG 4.1.2; axe's aria-input-field-name).
"use strict";
(function () {
  function nameComboboxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const label = select.id && document.querySelector('label[for="' + select.id + '"]');
      const box = select.parentElement && select.parentElement.querySelector('.select2-selection[role="combobox"]');
      if (!label || !box || box.hasAttribute("aria-label")) return;
      const name = label.textContent.replace(/:\s*$/, "").trim();
      box.setAttribute("aria-label", name);
      box.removeAttribute("aria-labelledby");
      // Its text (the choice so far) is a read-only textbox of its own, named the same.
      const shown = box.querySelector('[role="textbox"]');
      if (shown) shown.setAttribute("aria-label", name);
    });
  }
  // The two-box filter (filter_horizontal) puts its hint in an aria-label on a plain span, where ARIA does not
  // allow one (axe's aria-prohibited-attr): as an image, the icon may carry the hint.
  function roleHintIcons() {
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  // A wide read-only inline scrolls in its own box (admin-console.css); with nothing in it to tab to, a keyboard
  // could not scroll it (axe's scrollable-region-focusable), so the box itself takes focus, named by its heading.
  function focusableScrollers() {
    document.querySelectorAll(".inline-group .tabular").forEach(function (box) {
      if (box.hasAttribute("tabindex") || box.scrollWidth <= box.clientWidth) return;
      if (box.querySelector("a[href], input:not([type=hidden]), select, textarea, button")) return;
      const heading = box.querySelector("h2");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", heading ? heading.textContent.trim() : "Related rows");
    });
  }
  // The change list's search box is labelled by a magnifier image only; with a help text under it, axe takes the
  // help for its only label (label-title-only). Name it in words.
  function nameSearchBox() {
    const box = document.getElementById("searchbar");
    if (box && !box.hasAttribute("aria-label")) box.setAttribute("aria-label", "Search");
  }
  function fix() {
    nameSearchBox();
    nameComboboxes();
    roleHintIcons();
    focusableScrollers();
  }
  // select2 and the two-box filter build their markup on load, and again for each inline row added.
  window.addEventListener("load", function () {
    fix();
    new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", focusableScrollers);
  });
})();
