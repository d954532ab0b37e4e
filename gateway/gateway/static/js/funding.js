// The customer's payment page (templates/balances/fund.html): the card entered in Stripe.js's
// card element is confirmed on the page's SetupIntent, then the form posts the SetupIntent's id
// and the amount; the server charges the card. No card number ever reaches this site.
(function () {
  "use strict";
  var form = document.getElementById("fund-form");
  if (!form || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("fund-pay");
  form.addEventListener("submit", function (event) {
    if (document.getElementById("setup_intent_id").value) {
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
        document.getElementById("setup_intent_id").value = result.setupIntent.id;
        form.submit();
      });
  });
})();
