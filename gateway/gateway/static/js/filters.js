// A list filter's value box follows the chosen custom field: the box for that field's type
// (a select of its choices, a date, a number) is shown and sent; the others are hidden and
// disabled so the form sends one value.
document.querySelectorAll("[data-filter-field]").forEach((select) => {
  const boxes = select.closest("form").querySelectorAll("[data-filter-for]");
  select.addEventListener("change", () => {
    boxes.forEach((box) => {
      const shown = box.dataset.filterFor === select.value;
      box.hidden = !shown;
      box.disabled = !shown;
      box.classList.remove("is-invalid");
    });
  });
});
