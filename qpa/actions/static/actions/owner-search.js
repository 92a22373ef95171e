// A search box above a long select of people (data-qpa-searchable): typing part of a
// name hides the options and teams that do not match. Without scripts the select still
// works, and browsers find an option when its first letters are typed.
for (const select of document.querySelectorAll("select[data-qpa-searchable]")) {
  const group = document.createElement("div");
  group.className = "govuk-form-group";
  const label = document.createElement("label");
  label.className = "govuk-label";
  label.htmlFor = `${select.id}-search`;
  label.textContent = select.dataset.qpaSearchable;
  const input = document.createElement("input");
  input.className = "govuk-input govuk-!-width-two-thirds";
  input.id = `${select.id}-search`;
  input.type = "search";
  input.autocomplete = "off";
  input.spellcheck = false;
  const status = document.createElement("div");
  status.className = "govuk-hint";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  group.append(label, input, status);
  select.before(group);

  input.addEventListener("input", () => {
    const words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const seen = new Set();
    for (const option of select.querySelectorAll("option")) {
      if (!option.value) continue;
      const text = `${option.textContent} ${option.parentElement.label || ""}`.toLowerCase();
      option.hidden = !words.every((word) => text.includes(word));
      if (!option.hidden) seen.add(option.value);
    }
    for (const optgroup of select.querySelectorAll("optgroup")) {
      optgroup.hidden = ![...optgroup.querySelectorAll("option")].some((o) => !o.hidden);
    }
    status.textContent = words.length
      ? `${seen.size} ${seen.size === 1 ? "person matches" : "people match"}`
      : "";
    const chosen = select.selectedOptions[0];
    if (words.length && seen.size && (!chosen || chosen.hidden || !chosen.value)) {
      const first = [...select.querySelectorAll("option")].find((o) => o.value && !o.hidden);
      if (first) select.value = first.value;
    }
  });
}
