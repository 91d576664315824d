// The review board. The facilitator groups items by dragging one onto another (a new group)
// or onto a group (it joins): the drop fills the hidden drop form and submits it, the same
// POST as the tick boxes, so keyboard and phone users have the form and nothing differs.
// The board refreshes itself every few seconds; that refresh waits while a drag is under way
// or someone is typing in the board (renaming a group), so neither is swapped away.
(function () {
  "use strict";
  let dragging = null;

  function clear() {
    document
      .querySelectorAll(".review-dragging, .review-drop-over")
      .forEach((el) => el.classList.remove("review-dragging", "review-drop-over"));
  }

  function target(event) {
    const el = event.target.closest && event.target.closest("[data-drop-item], [data-drop-group]");
    if (!el || !dragging || el.dataset.dropItem === dragging.dataset.dragItem) return null;
    return el.dataset.kind === dragging.dataset.kind ? el : null;
  }

  document.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest("[data-drag-item]");
    if (!card) return;
    dragging = card;
    event.dataTransfer.setData("text/plain", card.dataset.dragItem);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("review-dragging");
  });

  document.addEventListener("dragend", () => {
    dragging = null;
    clear();
  });

  document.addEventListener("dragover", (event) => {
    const el = target(event);
    if (!el) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    el.classList.add("review-drop-over");
  });

  document.addEventListener("dragleave", (event) => {
    const el = target(event);
    if (el && !el.contains(event.relatedTarget)) el.classList.remove("review-drop-over");
  });

  document.addEventListener("drop", (event) => {
    const el = target(event);
    if (!el) return;
    event.preventDefault();
    const form = document.getElementById("drop-form");
    // namedItem: `elements.item` is the collection's own item() method, not the field.
    form.elements.namedItem("item").value = dragging.dataset.dragItem;
    form.elements.namedItem("onto_item").value = el.dataset.dropItem || "";
    form.elements.namedItem("onto_group").value = el.dataset.dropGroup || "";
    dragging = null;
    clear();
    form.requestSubmit();
  });

  // What a participant is typing is kept in this tab until they add it. When the facilitator
  // moves on first, the page reloads into the next phase: the text is shown there instead
  // of being lost (or put back in the form, if writing was reopened).
  const page = document.querySelector("[data-review-id]");
  const draftKey = page && "salesflow-review-draft-" + page.dataset.reviewId;
  const draftForm = document.querySelector("[data-draft-form]");
  const draftField = draftForm && draftForm.querySelector("textarea");
  if (draftKey) {
    const kept = sessionStorage.getItem(draftKey);
    if (kept && draftField) {
      draftField.value = kept;
    } else if (kept) {
      const notice = document.getElementById("review-draft");
      notice.querySelector("[data-draft-text]").textContent = kept;
      notice.hidden = false;
      notice.querySelector("[data-draft-dismiss]").addEventListener("click", () => {
        sessionStorage.removeItem(draftKey);
        notice.hidden = true;
      });
    }
  }
  if (draftField) {
    draftField.addEventListener("input", () => {
      if (draftField.value.trim()) sessionStorage.setItem(draftKey, draftField.value);
      else sessionStorage.removeItem(draftKey);
    });
    draftForm.addEventListener("submit", () => sessionStorage.removeItem(draftKey));
  }

  document.addEventListener("htmx:beforeRequest", (event) => {
    const board = document.getElementById("review-board");
    if (event.detail.elt !== board) return;
    const typing = board.contains(document.activeElement) && document.activeElement.matches("input, textarea, select");
    if (dragging || typing) event.preventDefault();
  });
})();
