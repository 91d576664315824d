// The SOE's steps reorder by dragging their handle: the new order is posted as the full
// list of step ids, which the server checks are exactly this SOE's steps.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("#soe-steps[data-sortable]");
  const form = document.getElementById("reorder-form");
  if (!list || !form || typeof Sortable === "undefined") return;
  Sortable.create(list, {
    handle: ".drag-handle",
    draggable: ".soe-step",
    animation: 150,
    onChoose(event) {
      event.item.removeAttribute("style"); // see board.js: no inline style may be copied
    },
    onEnd(event) {
      if (event.oldIndex === event.newIndex) return;
      form.querySelectorAll("input[name=step]").forEach((input) => input.remove());
      list.querySelectorAll(".soe-step").forEach((item) => {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = "step";
        input.value = item.dataset.step;
        form.appendChild(input);
      });
      form.submit();
    },
  });
});
