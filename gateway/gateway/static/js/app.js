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

  // A long select of clients (data-narrowable): a box above it keeps the options whose name holds
  // what is typed, so one client of a thousand is found by a few letters. The select stays the
  // form's field: when the chosen option is narrowed away, the first one left is chosen.
  document.querySelectorAll("select[data-narrowable]").forEach(function (select) {
    if (select.options.length <= 12) return;
    var label = select.labels.length ? select.labels[0].firstChild.textContent.trim() : "the list";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = "Type to narrow";
    box.setAttribute("aria-label", "Narrow " + label);
    box.dataset.narrows = select.id;
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var typed = box.value.trim().toLowerCase();
      var first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        // the empty choice ("Any client") and "Create a new client" are always offered
        var always = !option.value || option.value === "__new__";
        option.hidden = !always && option.text.toLowerCase().indexOf(typed) === -1;
        if (!always && !option.hidden && !first) first = option;
      });
      var chosen = select.options[select.selectedIndex];
      if (typed && first && (!chosen || chosen.hidden || !chosen.value)) {
        select.value = first.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  });

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
  // A list filter's value box follows the chosen custom field (clients/index.html): the box for
  // that field's type is shown and sent; the others are hidden and disabled (one value sent).
  document.querySelectorAll("[data-filter-field]").forEach(function (select) {
    var boxes = select.form.querySelectorAll("[data-filter-for]");
    select.addEventListener("change", function () {
      boxes.forEach(function (box) {
        var shown = box.dataset.filterFor === select.value;
        box.hidden = !shown;
        box.disabled = !shown;
        box.classList.remove("is-invalid");
      });
    });
  });

  // A revealed vault password: a button with data-copy="<selector>" copies that element's text.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.dataset.copy);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = "Copied";
      });
    });
  });
})();
