// Warns before the idle timeout and offers to extend the session (WCAG 2.2.1).
//
// The server keeps the real clock (qpa.accounts.middleware): before warning, this asks it
// how long is left, so that work in another tab, which keeps the session alive, is
// counted. That check is a background request and never extends the session itself.
// Without JavaScript the footer says how long an idle session lasts.

const dialog = document.querySelector("[data-qpa-session-timeout]");

if (dialog && typeof dialog.showModal === "function") {
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000;
  const statusUrl = dialog.dataset.statusUrl;
  const extendForm = dialog.querySelector("form[data-when-extendable]");
  let deadline = Date.now() + Number(dialog.dataset.remainingSeconds) * 1000;
  let timer;

  const schedule = (callback, at) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(callback, Math.max(0, at - Date.now()));
  };

  const signedOut = () => {
    // The server has ended the session: loading the page again shows the sign-in page.
    window.location.assign(window.location.href);
  };

  const readClock = (response) => {
    const type = response.headers.get("Content-Type") || "";
    if (!response.ok || !type.startsWith("application/json")) {
      return null;
    }
    return response.json();
  };

  const apply = (clock) => {
    deadline = Date.now() + clock.remaining_seconds * 1000;
    for (const element of dialog.querySelectorAll("[data-when-extendable]")) {
      element.hidden = !clock.can_extend;
    }
    for (const element of dialog.querySelectorAll("[data-when-final]")) {
      element.hidden = clock.can_extend;
    }
  };

  const warn = () => {
    if (!dialog.open) {
      dialog.showModal();
    }
    schedule(signedOut, deadline);
  };

  const check = async () => {
    let clock = null;
    try {
      const response = await fetch(statusUrl, {
        headers: { Accept: "application/json", "X-QPA-Background": "1" },
        credentials: "same-origin",
        redirect: "manual",
      });
      clock = await readClock(response);
    } catch {
      // Offline: trust the local clock and warn anyway.
      warn();
      return;
    }
    if (clock === null) {
      signedOut();
      return;
    }
    apply(clock);
    if (clock.remaining_seconds * 1000 > warningMs + 1000) {
      schedule(check, deadline - warningMs);
    } else {
      warn();
    }
  };

  const extend = async () => {
    try {
      const response = await fetch(extendForm.action, {
        method: "POST",
        body: new FormData(extendForm),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        redirect: "manual",
      });
      const clock = await readClock(response);
      if (clock === null) {
        signedOut();
        return;
      }
      apply(clock);
    } catch {
      // Offline: the form's own submission is the fallback.
      extendForm.submit();
      return;
    }
    dialog.close();
    schedule(check, deadline - warningMs);
  };

  if (extendForm) {
    extendForm.addEventListener("submit", (event) => {
      event.preventDefault();
      extend();
    });
  }
  // Escape means "stay signed in", as in the HMRC timeout pattern.
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    if (extendForm && !extendForm.hidden) {
      extend();
    }
  });

  schedule(check, deadline - warningMs);
}
