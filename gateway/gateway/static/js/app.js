// The pages' few behaviours, in one file: the Content-Security-Policy allows no inline script.
// Each one finds its elements by id or data attribute and does nothing on other pages.
(function () {
  "use strict";

  // A form behind a confirmation (macros/ui.html confirm_form): the question is in data-confirm.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // Adding a user with an invitation: the person chooses their own password, hide the field.
  (function () {
    var box = document.querySelector('[name="send_invitation"]');
    var block = document.getElementById("password-block");
    if (!box || !block) return;
    function sync() { block.hidden = box.checked; }
    box.addEventListener("change", sync);
    sync();
  })();

  // A contact's client: "new client" shows the box for its name.
  (function () {
    var select = document.getElementById("client_id");
    var box = document.getElementById("new-client-box");
    if (!select || !box) return;
    select.addEventListener("change", function () {
      box.hidden = select.value !== "__new__";
      if (!box.hidden) document.getElementById("new_client").focus();
    });
  })();

  // A new API token: copy it to the clipboard.
  (function () {
    var button = document.getElementById("copy-token");
    var input = document.getElementById("new-token-value");
    if (!button || !input) return;
    input.addEventListener("focus", function () { input.select(); });
    button.addEventListener("click", function () {
      input.select();
      var done = function () { button.innerHTML = '<i class="bi bi-check2"></i> Copied'; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  })();

  // An import under way: poll the job until it is finished, then show the server's summary.
  (function () {
    var box = document.getElementById("import-job");
    if (!box || box.dataset.status === "done" || box.dataset.status === "failed") return;
    var bar = document.getElementById("import-bar");
    var count = document.getElementById("import-count");
    function poll() {
      fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (job) {
          if (job.error) { box.insertAdjacentText("beforeend", job.error.message); return; }
          var percent = job.total ? Math.floor(100 * job.processed / job.total) : 100;
          bar.style.width = percent + "%";
          bar.textContent = percent + "%";
          count.textContent = job.processed;
          if (job.status === "done" || job.status === "failed") { window.location.reload(); }
          else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 500);
  })();
})();
