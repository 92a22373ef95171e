// Shows only the questions of the chosen radio (the GOV.UK conditional reveal), without
// the aria-expanded GOV.UK Frontend puts on radios, which ARIA does not allow there.
// Without JavaScript every option's questions show, each labelled with its option.
const radios = document.querySelectorAll("input[type=radio][data-qpa-reveals]");
const sync = (name) => {
  for (const radio of radios) {
    if (radio.name !== name) continue;
    const questions = document.getElementById(radio.getAttribute("data-qpa-reveals"));
    if (questions) questions.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
  }
};
for (const radio of radios) {
  radio.addEventListener("change", () => sync(radio.name));
  sync(radio.name);
}
