// Keeps an import's progress up to date without reloading; reloads once it has finished.
// Without JavaScript the page offers a refresh link instead.
const box = document.querySelector("[data-qpa-progress]");
if (box) {
  const url = box.getAttribute("data-qpa-progress");
  const bar = document.getElementById("import-progress");
  const text = document.getElementById("import-progress-text");
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        if (state.finished) {
          window.location.reload();
          return;
        }
        bar.value = state.percent;
        bar.textContent = `${state.percent}%`;
        const total = state.rows_total ? ` of about ${state.rows_total}` : "";
        text.textContent = `${state.status_label}: ${state.rows_done} rows read${total}.`;
      }
    } catch (error) {
      // The server is busy or unreachable: try again on the next tick.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 1000);
}
