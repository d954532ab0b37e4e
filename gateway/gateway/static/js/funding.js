// Card entry with Stripe.js (templates/balances/fund.html, balances/card.html): the card typed
// in Stripe's card element is confirmed on the page's SetupIntent, then the form posts the
// SetupIntent's id (and, on the customer's page, the amount); the server charges or keeps the
// card. No card number ever reaches this site.
(function () {
  "use strict";
  var form = document.querySelector("form[data-client-secret]");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = form.querySelector("[data-card-errors]");
  var button = form.querySelector("button[type=submit]");
  var setupId = form.querySelector("input[name=setup_intent_id]");
  form.addEventListener("submit", function (event) {
    if (setupId.value) {
      return; // confirmed: let the form post
    }
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    stripe
      .confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message || "The card was not accepted.";
          button.disabled = false;
          return;
        }
        setupId.value = result.setupIntent.id;
        form.submit();
      });
  });
})();
