// The Dashboard and Reports pages: the period filter, the charts (Chart.js), and the dashboard's
// widgets moved (SortableJS) and shown or hidden, each change kept for this user by the API.
// No inline script anywhere (the Content-Security-Policy allows none).
(function () {
  "use strict";

  // The period: a preset submits at once; "Custom range" shows the two dates.
  document.querySelectorAll("[data-report-filters]").forEach(function (form) {
    var preset = form.querySelector('[name="preset"]');
    if (!preset) return;
    preset.addEventListener("change", function () {
      var custom = preset.value === "custom";
      form.querySelectorAll(".custom-range").forEach(function (box) { box.hidden = !custom; });
      if (!custom) form.submit();
    });
  });

  function money(value) {
    return value ? value.amount / 100 : 0;
  }
  var COLORS = { paid: "#198754", open: "#0d6efd", failed: "#dc3545", other: "#6f42c1" };

  function chartFor(canvas) {
    var series = JSON.parse(canvas.dataset.series || "[]");
    var kind = canvas.dataset.chart;
    var currency = (series[0] && (series[0].paid || series[0].revenue || {}).currency) || "";
    var moneyAxis = { ticks: { callback: function (v) { return v.toLocaleString() + " " + currency; } } };
    if (kind === "revenue_by_month") {
      return {
        type: "bar",
        data: {
          labels: series.map(function (r) { return r.month; }),
          datasets: ["paid", "open", "failed"].map(function (key) {
            return { label: key.charAt(0).toUpperCase() + key.slice(1), backgroundColor: COLORS[key],
                     data: series.map(function (r) { return money(r[key]); }) };
          })
        },
        options: { maintainAspectRatio: false, scales: { x: { stacked: true }, y: Object.assign({ stacked: true }, moneyAxis) } }
      };
    }
    if (kind === "client_growth") {
      return {
        type: "line",
        data: {
          labels: series.map(function (r) { return r.month; }),
          datasets: [
            { label: "Active", borderColor: COLORS.paid, backgroundColor: COLORS.paid, data: series.map(function (r) { return r.active; }), tension: 0.3 },
            { label: "Inactive", borderColor: "#adb5bd", backgroundColor: "#adb5bd", data: series.map(function (r) { return r.inactive; }), tension: 0.3 },
            { label: "New", type: "bar", backgroundColor: "rgba(13,110,253,.35)", data: series.map(function (r) { return r.new; }) }
          ]
        },
        options: { maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      };
    }
    return {
      type: "bar",
      data: {
        labels: series.map(function (r) { return r.service_name || "—"; }),
        datasets: [{ label: "Revenue", backgroundColor: COLORS.other, data: series.map(function (r) { return money(r.revenue); }) }]
      },
      options: { indexAxis: "y", maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { x: moneyAxis } }
    };
  }

  if (window.Chart) {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      new window.Chart(canvas, chartFor(canvas));
    });
  }

  // The dashboard's layout: order by drag and drop, visibility by the Customize menu.
  var grid = document.getElementById("dashboard-widgets");
  if (!grid) return;
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content;

  function layout() {
    return Array.prototype.map.call(grid.querySelectorAll("[data-widget]"), function (el) {
      return { id: el.dataset.widget, visible: !el.hidden };
    });
  }
  function save(method, body) {
    grid.dataset.saving = "1";
    return fetch(grid.dataset.layoutUrl, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      grid.dataset.saving = "";
      grid.dataset.saved = response.ok ? "1" : "error";
      return response;
    });
  }

  if (window.Sortable) {
    window.Sortable.create(grid, {
      handle: ".widget-handle",
      forceFallback: true,  // mouse events rather than native drag and drop: the same in every browser
      animation: 150,
      onEnd: function () { save("PUT", { widgets: layout() }); }
    });
  }
  document.querySelectorAll("[data-widget-toggle]").forEach(function (box) {
    box.addEventListener("change", function () {
      var widget = grid.querySelector('[data-widget="' + box.dataset.widgetToggle + '"]');
      if (!widget) return;
      widget.hidden = !box.checked;
      save("PUT", { widgets: layout() });
    });
  });
  var reset = document.querySelector("[data-layout-reset]");
  if (reset) {
    reset.addEventListener("click", function () {
      save("DELETE").then(function () { window.location.reload(); });
    });
  }
})();
