// The deals table's bulk bar: shows the fields of the chosen action only, and says how many
// deals the change will reach. The bar is swapped with the table's results, so everything
// here listens on the document. Loaded once per page, whatever the swaps.
"use strict";

(() => {
  if (window.salesflowBulkBar) return;
  window.salesflowBulkBar = true;

  function ticked(form) {
    return document.querySelectorAll(`input[name="ids"][form="${form.id}"]:checked`).length;
  }

  function refresh(form) {
    if (!form) return;
    const action = form.querySelector("[data-bulk-action]").value;
    for (const field of form.querySelectorAll("[data-bulk-for]")) {
      const shown = action !== "" && field.dataset.bulkFor.split(" ").includes(action);
      field.hidden = !shown;
      for (const control of field.querySelectorAll("input, select")) control.disabled = !shown;
    }
    const all = form.querySelector('input[name="all_matching"]').checked;
    const count = ticked(form);
    const button = form.querySelector('button[type="submit"]');
    button.textContent = all ? "Apply to all that match" : "Apply to the ticked deals";
    form.querySelector("[data-bulk-count]").textContent = all
      ? ""
      : `${count} ticked`;
  }

  const bar = () => document.getElementById("bulk-form");
  document.addEventListener("DOMContentLoaded", () => refresh(bar()));
  document.addEventListener("htmx:afterSettle", () => refresh(bar()));
  document.addEventListener("change", (event) => {
    const form = bar();
    if (!form) return;
    if (form.contains(event.target) || event.target.name === "ids" || event.target.matches("[data-select-all]")) {
      refresh(form);
    }
  });
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id !== "bulk-form") return;
    const all = form.querySelector('input[name="all_matching"]').checked;
    if (!all && ticked(form) === 0) {
      event.preventDefault();
      showMessage("Tick the deals to change first, or choose all that match.", "warning");
    }
  });
  if (document.readyState !== "loading") refresh(bar());
})();
