/* The card page's Stripe Payment Element: mounts it, confirms the SetupIntent, shows why a card was refused.
   Reads publishableKey, clientSecret and returnUrl from the JSON in #stripe-config. */
(function () {
  "use strict";

  function start() {
    var source = document.getElementById("stripe-config");
    var form = document.getElementById("card-form");
    if (!source || !form || typeof Stripe === "undefined") return;
    var config = JSON.parse(source.textContent);
    var stripe = Stripe(config.publishableKey);
    var elements = stripe.elements({ clientSecret: config.clientSecret });
    elements.create("payment").mount("#payment-element");
    var button = document.getElementById("card-submit");
    var problem = document.getElementById("card-error");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      problem.textContent = "";
      var result = await stripe.confirmSetup({ elements: elements, confirmParams: { return_url: config.returnUrl } });
      // Only reached when the card could not be confirmed; on success Stripe sends the browser to the return URL.
      problem.textContent = result.error.message;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
