// The bulletin editor's live preview: the Markdown goes to the server, which renders it with the same
// sanitising renderer as the page (Python-Markdown then nh3), so the preview is exactly what is issued.
"use strict";

document.querySelectorAll("form.bulletin-editor[data-preview]").forEach((form) => {
  const source = form.querySelector("textarea[name=markdown]");
  const target = form.querySelector("[data-preview-target]");
  const token = form.querySelector("input[name=csrf_token]");
  if (!source || !target) return;
  let timer = null;
  let latest = 0;

  async function render() {
    const asked = ++latest;
    const body = new FormData();
    body.append("markdown", source.value);
    const response = await fetch(form.dataset.preview, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token ? token.value : "" },
    });
    if (!response.ok || asked !== latest) return;  // a newer keystroke's preview wins
    const data = await response.json();
    target.innerHTML = data.html;  // already sanitised on the server
    target.hidden = false;
  }

  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => render().catch(() => {}), 300);
  });
});
