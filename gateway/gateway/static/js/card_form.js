// A card entered with Stripe.js (a page that loads it first): the form marked
// data-card-form carries the publishable key and the SetupIntent's client secret; on submit
// the card is confirmed with Stripe (we never see its number), the SetupIntent's id is put in
// the form and the form goes to our server, which saves the card and charges what is due
// (payments/_card_form.html, balances/card.html, balances/fund.html and portal/balance.html:
// there with the amount).
(function () {
  "use strict";
  var form = document.querySelector("form[data-card-form]");
  if (!form || typeof window.Stripe !== "function") {
    return;
  }
  var stripe = window.Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount(form.querySelector("[data-card-element]"));
  var errors = form.querySelector("[data-card-errors]");
  var button = form.querySelector("button[type=submit]:not([data-saved-card])");
  var confirmed = false;

  function show(message) {
    errors.textContent = message || "";
    errors.classList.toggle("d-none", !message);
  }

  form.addEventListener("submit", function (event) {
    // A button marked data-saved-card pays with the card already saved: no card to confirm.
    if (confirmed || (event.submitter && event.submitter.hasAttribute("data-saved-card"))) {
      return;
    }
    event.preventDefault();
    show("");
    button.disabled = true;
    stripe
      .confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          show(result.error.message || "The card was not accepted.");
          button.disabled = false;
          return;
        }
        form.querySelector("input[name=setup_intent_id]").value = result.setupIntent.id;
        confirmed = true;
        form.submit();
      });
  });
})();
