// Journey "login-return" (issue 15 item 0): an anonymous visitor opens a
// private page, gets a page (not plain text) that offers to log in, logs
// in and is back on the page it opened, now shown as its owner; every
// error page links somewhere useful. Input: NAAMIO_BASE, NAAMIO_SHOTS,
// NAAMIO_EMAIL, NAAMIO_PASSWORD, NAAMIO_PRIVATE (a private container of
// the account's pod), NAAMIO_PRIVATE_CHILD (a name listed in it), CHROMIUM.
import { journey, env, logIn, tokenReady } from "./lib.mjs";

const { step, finish, base, shot, newPage } = journey();
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const target = env("NAAMIO_PRIVATE");
const child = env("NAAMIO_PRIVATE_CHILD");

let page;

await step("launch", async () => {
  page = await newPage("visitor");
  return "chromium";
});

await step("private-page-offers-log-in", async () => {
  const resp = await page.goto(target);
  if (resp.status() !== 401) throw new Error(`status ${resp.status()}`);
  const h1 = await page.locator("h1").innerText();
  if (!/log in/i.test(h1)) throw new Error(`heading ${h1}`);
  if ((await page.locator("body").innerText()).includes(child)) throw new Error("the private listing leaked");
  const links = await page.locator("main a").evaluateAll((as) => as.map((a) => a.textContent.trim()));
  if (!links.includes("Go to the start page")) throw new Error(`links: ${links}`);
  await shot(page, "401-page");
  return `${h1}; links: ${links.join(", ")}`;
});

await step("log-in-returns-to-page", async () => {
  await Promise.all([page.waitForURL((u) => u.pathname.endsWith("/.idp/login")), page.click("main a.button:has-text('Log in')")]);
  await shot(page, "login-form");
  await logIn(page, { email, password });
  await page.waitForURL(target);
  // The page's script signs this tab in through the session once (for
  // its writes) and comes back here.
  await tokenReady(page);
  await page.waitForURL(target);
  await page.waitForLoadState();
  const names = await page.locator("#listing tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.name));
  if (!names.includes(child)) throw new Error(`back on ${page.url()}, listing ${names}`);
  await shot(page, "back-on-page");
  return `back on ${page.url()} as its owner`;
});

await step("not-found-page", async () => {
  const resp = await page.goto(target + "no-such-thing/");
  if (resp.status() !== 404) throw new Error(`status ${resp.status()}`);
  const links = await page.locator("main a").evaluateAll((as) => as.map((a) => a.textContent.trim()));
  if (!links.includes("Go up to the folder above") || !links.includes("Go to your pod")) throw new Error(`links: ${links}`);
  await shot(page, "404-page");
  return links.join(", ");
});

await finish();
