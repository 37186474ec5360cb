/* Forms marked data-once submit once: the button is disabled while the request is on its way, so a double tap
   or an impatient second press sends nothing more. The server treats a repeat as done anyway. If no page comes
   back (a dropped connection), the button is usable again after a while, and when the page is shown again. */
(function () {
  "use strict";
  var RETRY_AFTER_MS = 20000;

  function release(form) {
    delete form.dataset.sending;
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    // Disabled after this tick, so the pressed button's own value is still sent.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    }, 0);
    window.setTimeout(function () { release(form); }, RETRY_AFTER_MS);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(release);
  });
})();
