// Triage keys: j/k (or arrows) move the highlight, x ticks, a category key classifies the ticked
// items or, when none is ticked, the highlighted one.
"use strict";
(() => {
  const form = document.getElementById("triage-form");
  if (!form) return;
  const rows = [...form.querySelectorAll("tbody tr[data-id]")];
  let current = 0;
  const highlight = (index) => {
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach((row, i) => row.classList.toggle("current", i === current));
    rows[current].scrollIntoView({ block: "nearest" });
  };
  const box = (row) => row.querySelector("input[name=ids]");
  rows.forEach((row, i) => row.addEventListener("click", () => highlight(i)));
  // The entry list is built after this event, so ticking here still sends the highlighted item.
  form.addEventListener("submit", () => {
    if (!form.querySelector("input[name=ids]:checked")) box(rows[current]).checked = true;
  });
  document.addEventListener("keydown", (event) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName) && document.activeElement.type !== "checkbox";
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const moves = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 };
    if (event.key in moves) { event.preventDefault(); highlight(current + moves[event.key]); return; }
    if (event.key === "x") { event.preventDefault(); box(rows[current]).checked = !box(rows[current]).checked; return; }
    const button = form.querySelector(`[data-triage-key="${CSS.escape(event.key)}"]`);
    if (button) { event.preventDefault(); button.click(); }
  });
  highlight(0);
})();
