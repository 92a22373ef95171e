// Compiles app.scss and copies GOV.UK Frontend's script and images into the Django
// static folder. Run with `make assets` after changing the pinned versions.
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";

const out = "../qpa/core/static";
const gf = "node_modules/govuk-frontend/dist/govuk";
mkdirSync(`${out}/qpa`, { recursive: true });
const css = compile("app.scss", { loadPaths: ["node_modules"], style: "compressed", quietDeps: true, silenceDeprecations: ["import", "global-builtin"] });
writeFileSync(`${out}/qpa/qpa.css`, css.css);
cpSync(`${gf}/govuk-frontend.min.js`, `${out}/govuk/govuk-frontend.min.js`);
cpSync(`${gf}/assets/images`, `${out}/govuk/assets/images`, { recursive: true });
console.log("built", `${out}/qpa/qpa.css`);
