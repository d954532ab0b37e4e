// The assign-a-service form (services/assign.html): the rate box says what the rate is for the
// billing type chosen. Loaded by that page only; no inline script (Content-Security-Policy).
(function () {
  "use strict";
  var type = document.getElementById("billing_type");
  var label = document.getElementById("rate-label");
  var help = document.getElementById("rate-help");
  if (!type || !label || !help) return;
  var words = {
    one_time: ["Fee", "Billed once, on the start date (USD)."],
    recurring_in_advance: ["Rate per 30 days", "Billed at the start of each 30-day cycle (USD)."],
    recurring_in_arrears: ["Rate per 30 days", "Billed at the end of each 30-day cycle (USD)."],
    hourly: ["Hourly rate", "Per hour of the time notes, billed at the end of each month (USD)."]
  };
  var first = [label.textContent, help.textContent];
  function sync() {
    var chosen = words[type.value] || first;
    label.textContent = chosen[0];
    help.textContent = chosen[1];
  }
  type.addEventListener("change", sync);
  sync();
})();
