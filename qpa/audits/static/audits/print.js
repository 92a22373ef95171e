// "Print this audit": shown only when scripts run; without them the page says how to
// print with the browser's own command.
for (const button of document.querySelectorAll("[data-qpa-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
