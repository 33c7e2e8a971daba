// The phone desk: Ctrl+Enter saves the call; the suggested category follows what the agent types.
"use strict";

(() => {
  const form = document.getElementById("call-form");
  if (!form) return;
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const url = form.dataset.suggest;
  const output = document.getElementById("suggestion");
  const text = document.getElementById("c-text");
  if (!url || !output || !text) return;
  let timer = null;
  let asked = 0;
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const value = text.value.trim();
      const ticket = ++asked;
      if (value.length < 4) { output.hidden = true; return; }
      const response = await fetch(`${url}?text=${encodeURIComponent(value)}`, { headers: { Accept: "application/json" } });
      if (!response.ok || ticket !== asked) return;  // a newer keystroke has its own answer coming
      const data = await response.json();
      output.querySelector("strong").textContent = data.label || data.category || "";
      output.hidden = !(data.label || data.category);
    }, 300);
  });
})();
