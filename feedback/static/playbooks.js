// Ticket page, playbook panel: copy a past resolution into the close (or resolve) form, and fill the
// reply form from the chosen template. No inline script: the buttons carry their data attributes.
"use strict";

// Similar past resolutions arrive after the page: the ticket itself shows at once.
document.querySelectorAll("[data-similar]").forEach((panel) => {
  fetch(panel.dataset.similar, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then((response) => (response.ok ? response.text() : Promise.reject(response.status)))
    .then((html) => { panel.outerHTML = html; })
    .catch(() => {});  // the panel keeps its link to the list
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-resolution]");
  if (!button) return;
  const field = document.querySelector('form[action$="/close"] textarea[name=resolution]')
    || document.querySelector('form[action$="/resolve"] textarea[name=resolution]');
  if (!field) return;
  field.value = button.dataset.copyResolution;  // the start of this ticket's resolution, to edit
  field.focus();
  field.scrollIntoView({ block: "center" });
});

document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-reply-template]");
  if (!select) return;
  const option = select.selectedOptions[0];
  const form = select.closest("form");
  form.querySelector("input[name=subject]").value = option.dataset.subject;
  form.querySelector("textarea[name=body]").value = option.dataset.body;
});
