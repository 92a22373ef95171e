// Saves an audit page to the server while the auditor types (after a pause) and when
// they leave a field, and says when it last saved. Nothing is kept in the browser.
// Without JavaScript the page's own buttons save; with it they still do.
//
// Every save sends the version it started from; the server answers with the next one.
// Saves go one at a time so that a page never conflicts with itself. Requests carry
// X-QPA-Background so that autosave never keeps a session alive on its own.

const form = document.querySelector("form[data-qpa-autosave]");
const status = document.getElementById("autosave-status");

if (form && status) {
  const version = form.querySelector("input[name=version]");
  const DELAY = 2000;
  const RETRY = 10000;
  let timer = null;
  let inFlight = null;
  let dirty = false;
  let stopped = false;
  let submitting = false;

  const say = (text) => {
    status.textContent = text;
  };

  const schedule = (delay) => {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, delay);
  };

  const send = (keepalive, body = new FormData(form)) =>
    fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      keepalive,
      headers: { Accept: "application/json", "X-QPA-Background": "1" },
    });

  const handle = async (response) => {
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) {
      // Redirected to the sign-in page: the session has ended.
      dirty = true;
      say(
        "Not saved: you have been signed out. Your text is still on this page: sign in " +
          "again in a new tab, then carry on here and it will be saved.",
      );
      schedule(RETRY);
      return;
    }
    const data = await response.json();
    if (response.ok && data.status === "saved") {
      version.value = data.version;
      say(`Saved at ${data.saved_at}.`);
    } else if (data.status === "conflict" || data.status === "locked") {
      stopped = true;
      say(data.message);
    } else {
      say(data.message || "Not saved: check what you have written.");
    }
  };

  async function save() {
    window.clearTimeout(timer);
    while (inFlight) {
      await inFlight;
    }
    if (!dirty || stopped || submitting) {
      return;
    }
    dirty = false;
    say("Saving…");
    inFlight = send(false)
      .then(handle)
      .catch(() => {
        dirty = true;
        say("Not saved: QPA could not be reached. It will try again shortly.");
        schedule(RETRY);
      })
      .finally(() => {
        inFlight = null;
      });
    await inFlight;
  }

  form.addEventListener("input", () => {
    dirty = true;
    schedule(DELAY);
  });
  form.addEventListener("change", (event) => {
    dirty = true;
    if (event.target.type === "radio") {
      save();
    }
  });
  form.addEventListener("focusout", () => {
    if (dirty) {
      save();
    }
  });

  // A save button posts the whole form with the version on the page: wait for an autosave
  // still on its way, so that the button's save starts from the version it produced. A
  // second press while the first is waiting or on its way sends nothing: it would carry
  // the version the first replaces, and the page would conflict with itself.
  let resubmitting = false;
  form.addEventListener("submit", (event) => {
    window.clearTimeout(timer);
    if (resubmitting) {
      resubmitting = false;
      return;
    }
    if (submitting) {
      event.preventDefault();
      return;
    }
    submitting = true;
    if (inFlight) {
      event.preventDefault();
      const button = event.submitter;
      inFlight.finally(() => {
        resubmitting = true;
        form.requestSubmit(button);
      });
    }
  });
  // Back to this page from the browser's history: its buttons work again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) {
      submitting = false;
      resubmitting = false;
    }
  });

  // Leaving the page with words not yet saved: one last save that outlives the page. When
  // a save is still on its way, the page cannot wait for it: the last save names the
  // version that save will have produced, so the words typed since are not lost.
  window.addEventListener("pagehide", () => {
    if (!dirty || stopped || submitting) {
      return;
    }
    dirty = false;
    const body = new FormData(form);
    if (inFlight) {
      body.set("version", String(Number(version.value) + 1));
    }
    send(true, body).catch(() => {});
  });
}
