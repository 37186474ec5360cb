/* Small page actions without inline handlers (the Content-Security-Policy refuses onclick="" and javascript:
   links): a button marked data-print prints the page, one marked data-back goes back a page. */
document.addEventListener("click", function (event) {
  "use strict";
  if (event.target.closest("[data-print]")) {
    window.print();
  } else if (event.target.closest("[data-back]")) {
    event.preventDefault();
    window.history.back();
  }
});
