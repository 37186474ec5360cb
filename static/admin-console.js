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
  // select2 builds its boxes when jQuery is ready, and again for each inline row added.
  window.addEventListener("load", function () {
    nameComboboxes();
    new MutationObserver(nameComboboxes).observe(document.body, { childList: true, subtree: true });
  });
})();
