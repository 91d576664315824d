// salesflow's own behaviour. Loaded with `defer`; no inline scripts (the CSP forbids them).
"use strict";

function showMessage(text, level) {
  const region = document.getElementById("live-messages");
  if (!region) return;
  const alert = document.createElement("div");
  alert.className = `alert alert-${level} alert-dismissible fade show`;
  alert.setAttribute("role", "alert");
  alert.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close";
  close.setAttribute("data-bs-dismiss", "alert");
  close.setAttribute("aria-label", "Close");
  alert.appendChild(close);
  region.appendChild(alert);
}

document.addEventListener("htmx:responseError", (event) => {
  // A refused htmx request keeps the page as it was and tells the user why.
  const xhr = event.detail.xhr;
  const status = xhr.status;
  const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  let text = "Something went wrong; nothing was changed. Please try again.";
  if (status === 409 && plain && xhr.responseText) {
    text = xhr.responseText; // the server's own explanation of a refused change
  } else if (status === 403 || status === 404) {
    text = "That is not available to you; nothing was changed.";
  }
  showMessage(text, "danger");
});

document.addEventListener("htmx:sendError", () => {
  showMessage("salesflow could not be reached; check your connection and try again.", "warning");
});

// After htmx swaps in new content, move keyboard focus to the element marked for it
// (the first field of a form just opened, or the confirmation of what was saved),
// instead of leaving it on <body>.
document.addEventListener("htmx:afterSettle", (event) => {
  const target = event.detail.elt;
  const focusable = target.matches("[data-autofocus]") ? target : target.querySelector("[data-autofocus]");
  if (focusable) focusable.focus();
});

// A list's "select all on this page": ticks or clears every row's checkbox in its table
// (rows loaded later by "load more" are not on the page it was ticked for).
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  const table = document.getElementById(all.dataset.selectAll);
  if (!table) return;
  for (const box of table.querySelectorAll('tbody input[type="checkbox"][name="ids"]')) {
    box.checked = all.checked;
  }
});
