// Settings > Plan: subscribe (or replace the subscription's card) with Stripe.js on the
// platform's Stripe account. The card goes from the browser to Stripe only; the gateway gets a
// confirmed SetupIntent's id. Loaded on that page only, after Stripe.js.
(function () {
  "use strict";

  var box = document.getElementById("subscription-card-form");
  if (!box || typeof window.Stripe !== "function") return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var stripe = window.Stripe(box.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("card-submit");
  var error = document.getElementById("card-error");

  function post(url, body, method) {
    return fetch(url, {
      method: method || "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var problem = (data && data.error) || {};
          throw new Error(problem.message || "Something went wrong; please try again.");
        }
        return data;
      });
    });
  }

  function fail(message) {
    error.textContent = message;
    error.hidden = false;
    button.disabled = false;
  }

  function waitUntilWritable(triesLeft) {
    return fetch(box.dataset.agencyUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (agency) {
        if (!agency.read_only || triesLeft <= 0) return;
        return new Promise(function (resolve) { setTimeout(resolve, 250); })
          .then(function () { return waitUntilWritable(triesLeft - 1); });
      });
  }

  button.addEventListener("click", function () {
    error.hidden = true;
    button.disabled = true;
    post(box.dataset.setupUrl)
      .then(function (setup) {
        return stripe.confirmCardSetup(setup.client_secret, { payment_method: { card: card } })
          .then(function (result) {
            if (result.error) throw new Error(result.error.message || "The card was refused.");
            return setup.setup_intent_id;
          });
      })
      .then(function (setupIntentId) {
        if (box.dataset.mode === "card") {
          return post(box.dataset.cardUrl, { setup_intent_id: setupIntentId }, "PUT");
        }
        var plan = document.getElementById("subscribe-plan").value;
        return post(box.dataset.subscribeUrl, { plan: plan, setup_intent_id: setupIntentId });
      })
      .then(function () {
        if (box.dataset.mode === "card") return;
        // Identity follows billing's event a moment later: wait for the agency to open up.
        button.textContent = "Subscribed; opening your agency…";
        return waitUntilWritable(40);
      })
      .then(function () { window.location.assign(box.dataset.doneUrl); })
      .catch(function (problem) { fail(problem.message); });
  });
})();
