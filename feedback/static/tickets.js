// Ticket list: a header checkbox checks every row of its table (for bulk reassign and close).
"use strict";

document.addEventListener("change", (event) => {
  const name = event.target.dataset && event.target.dataset.checkAll;
  if (!name) return;
  for (const box of event.target.closest("table").querySelectorAll(`input[type=checkbox][name="${CSS.escape(name)}"]`)) {
    box.checked = event.target.checked;
  }
});
