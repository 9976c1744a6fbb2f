// The web page in a real browser (Debian's chromium, driven by playwright-core):
// upload a dataset photo, check that labelled boxes appear, open the dashboard
// and check that its charts and the model card are drawn; screenshots of both,
// at a desktop and a phone-sized width, are kept as the test's artifacts.
// Usage: node page_test.js URL PHOTO SCREENSHOT_DIR
"use strict";
const { chromium } = require("playwright-core");
const path = require("path");

const [url, photo, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function check(ok, what) {
  if (!ok) throw new Error(what);
}

async function uploadAndCheck(page, name) {
  await page.goto(url);
  await page.setInputFiles("#file", photo);
  await page.waitForSelector("#overlay .face", { timeout: 15000 });
  const labels = await page.$$eval("#overlay .face-label", (ts) => ts.map((t) => t.textContent));
  check(labels.length >= 1, "no labelled box");
  check(labels.every((l) => /^(mask|no mask|mask worn incorrectly) \d+%$/.test(l)), "labels: " + labels);
  const items = await page.$$eval("#faces li", (li) => li.map((l) => l.textContent));
  check(items.length === labels.length, "the list does not match the boxes");
  const status = await page.textContent("#photo-status");
  check(/\d+ faces? in \d+ ms/.test(status), "status: " + status);
  await page.screenshot({ path: path.join(shots, name + "-photo.png"), fullPage: true });
  return labels;
}

async function dashboardAndCheck(page, name) {
  await page.keyboard.press("Tab");  // the skip link, then the tabs: usable from the keyboard
  await page.focus("#tab-photo");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowRight");
  check(await page.isVisible("#view-dashboard"), "arrow keys did not reach the dashboard");
  await page.waitForSelector("#chart-seconds svg .dot", { timeout: 15000 });
  await page.waitForSelector("#chart-accuracy svg .dot");
  await page.waitForSelector("#model-card dl");
  const dots = await page.$$eval("#chart-seconds svg .dot", (d) => d.length);
  check(dots >= 2, "the seconds chart has " + dots + " points");
  await page.screenshot({ path: path.join(shots, name + "-dashboard.png"), fullPage: true });
}

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    for (const [name, viewport] of [["desktop", { width: 1200, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
      const page = await browser.newPage({ viewport });
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      const labels = await uploadAndCheck(page, name).catch((e) => {
        throw new Error(e.message + (errors.length ? "; script errors: " + errors.join("; ") : ""));
      });
      await dashboardAndCheck(page, name);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      check(width <= viewport.width, `the page is ${width} px wide at ${viewport.width}`);
      check(errors.length === 0, "script errors: " + errors.join("; "));
      console.log(`${name}: ${labels.join(", ")}`);
    }
  } finally {
    await browser.close();
  }
  console.log("PASS");
})().catch((e) => {
  console.error("FAIL: " + e.message);
  process.exit(1);
});
