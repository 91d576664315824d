// The board: drag a card to another column to move the deal. A drop only sets the card's
// own "Move to" select and submits its form, so dragging, the keyboard and phones all use
// one path to the server, which re-checks the move. A refused move puts the card back.
"use strict";

function cardOrigin(card) {
  return card.sfOrigin || { list: card.parentElement, next: card.nextElementSibling };
}

function snapBack(card) {
  const origin = cardOrigin(card);
  if (origin.list && card.parentElement !== origin.list) {
    origin.list.insertBefore(card, origin.next && origin.next.parentElement === origin.list ? origin.next : null);
  }
  const select = card.querySelector(".move-form select[name=stage]");
  if (select) select.value = card.dataset.stage;
  delete card.sfOrigin;
}

function makeSortable(list) {
  if (list.sfSortable || typeof Sortable === "undefined") return;
  list.sfSortable = Sortable.create(list, {
    group: "board",
    sort: false,
    draggable: ".deal-card.can-move",
    filter: "select, button, a, input",
    preventOnFilter: false,
    animation: 150,
    onChoose(event) {
      // Sortable marks the card with a will-change style and then clones it; the clone's
      // copied style attribute would break the page's no-inline-style policy. Cards carry
      // no style of their own, so dropping the hint costs nothing.
      event.item.removeAttribute("style");
    },
    onStart(event) {
      event.item.sfOrigin = { list: event.from, next: event.item.nextElementSibling };
    },
    onEnd(event) {
      const card = event.item;
      if (event.from === event.to) {
        delete card.sfOrigin;
        return;
      }
      const form = card.querySelector(".move-form");
      const select = form && form.querySelector("select[name=stage]");
      if (!select) {
        snapBack(card);
        return;
      }
      select.value = event.to.dataset.stage;
      // htmx copies the attributes of the card being replaced onto its replacement while
      // it settles; leave no style from the drag animation for it to copy.
      card.removeAttribute("style");
      htmx.trigger(form, "submit");
    },
  });
}

document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  const lists = root.matches && root.matches(".board-cards[data-stage]") ? [root] : root.querySelectorAll(".board-cards[data-stage]");
  lists.forEach(makeSortable);
});

function failedMove(event) {
  const form = event.detail.elt;
  if (!form.matches || !form.matches(".move-form")) return;
  const card = form.closest(".deal-card");
  if (card) snapBack(card);
}

document.addEventListener("htmx:responseError", failedMove);
document.addEventListener("htmx:sendError", failedMove);

// A keyboard move replaces the card (it lands at the top of its new column): give focus
// back to the moved card's select so the user keeps their place instead of starting over.
let refocusCard = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const form = event.detail.elt;
  if (form.matches && form.matches(".move-form") && form.contains(document.activeElement)) {
    // The new card arrives before the old one is removed, both with the same id: look
    // for it in the column it is moving to.
    const stage = form.querySelector("select[name=stage]").value;
    refocusCard = `#cards-${stage} #${form.closest(".deal-card").id}`;
  }
});
document.addEventListener("htmx:oobAfterSwap", () => {
  if (!refocusCard) return;
  const select = document.querySelector(`${refocusCard} .move-form select`);
  if (select) {
    select.focus();
    refocusCard = null;
  }
});
