// Marks the page as scripted and starts GOV.UK Frontend's components. Loaded as a module,
// so browsers too old for GOV.UK Frontend skip it and get the no-JavaScript pages.
import { initAll } from "../govuk/govuk-frontend.min.js";
import "./reveal.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
