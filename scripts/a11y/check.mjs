// Check HTML pages with axe-core in headless Chromium at WCAG 2.2 AA, on screen and in print.
//
//   node check.mjs PAGE.html [PAGE.html ...]
//
// Chromium is Debian's (/usr/bin/chromium, or $CHROMIUM); playwright-core drives it and
// never downloads a browser. Each page is checked twice: with screen styles and with
// print styles (the paper is printed and turned into a PDF). Prints one line per page and
// medium, then each violation with the nodes it was found on; exits 1 if there is any,
// 2 if the check itself could not run.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function main(pages) {
  if (pages.length === 0) {
    console.error("usage: node check.mjs PAGE.html [PAGE.html ...]");
    return 2;
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: FLAGS,
    headless: true,
  });
  let violations = 0;
  try {
    const axeVersion = JSON.parse(
      readFileSync(require.resolve("axe-core/package.json"), "utf8"),
    ).version;
    console.log(`axe-core ${axeVersion}, Chromium ${browser.version()}, tags ${TAGS.join(" ")}`);
    for (const file of pages) {
      const page = await browser.newPage();
      // Nothing leaves the machine: a page that tries to load anything is stopped.
      await page.route("**/*", (route) =>
        route.request().url().startsWith("file:") ? route.continue() : route.abort(),
      );
      await page.goto(pathToFileURL(resolve(file)).href);
      await page.addScriptTag({ content: AXE });
      for (const media of ["screen", "print"]) {
        await page.emulateMedia({ media });
        const result = await page.evaluate(
          (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
          TAGS,
        );
        const found = result.violations;
        violations += found.length;
        console.log(
          `${file} [${media}]: ${found.length} violations, ${result.passes.length} rules passed, ` +
            `${result.incomplete.length} to review, ${result.inapplicable.length} not applicable`,
        );
        if (result.incomplete.length) {
          console.log(`  to review by a person: ${result.incomplete.map((r) => r.id).join(", ")}`);
          for (const r of result.incomplete) {
            for (const node of r.nodes.slice(0, 3)) {
              const why = (node.any[0] && node.any[0].message) || "";
              console.log(`    ${r.id} ${node.target.join(" ")}: ${why}`);
            }
          }
        }
        for (const v of found) {
          console.log(`  ${v.id} (${v.impact}): ${v.help} [${v.tags.join(", ")}]`);
          for (const node of v.nodes.slice(0, 5)) {
            console.log(`    ${node.target.join(" ")}: ${node.failureSummary.replace(/\n/g, " ")}`);
          }
        }
      }
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return violations ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`a11y check could not run: ${error.message}`);
    process.exit(2);
  },
);
