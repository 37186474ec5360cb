/* A polled region marked data-poll-pause="<selector>" skips its refresh while something matching the selector is
   inside it (an open decline form, whose typing a refresh would wipe). htmx cancels a request whose
   htmx:beforeRequest event is cancelled; this replaces an hx-trigger filter, which htmx would have to eval. */
document.addEventListener("htmx:beforeRequest", function (event) {
  "use strict";
  var element = event.detail.elt;
  var pause = element && element.dataset ? element.dataset.pollPause : "";
  if (pause && element.querySelector(pause)) event.preventDefault();
});
