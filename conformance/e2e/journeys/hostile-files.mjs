// Journey "hostile-files" (issue 15 item 5; SECURITY row 58, stored
// script): the owner uploads an HTML page and an SVG image whose scripts
// try to act with the server's origin, and a file whose name is markup,
// through the container page. The listing shows the name as text; opening
// each file (its page, and the file itself with ?raw) runs no script of
// the file. Input: NAAMIO_BASE, NAAMIO_SHOTS, NAAMIO_EMAIL,
// NAAMIO_PASSWORD, NAAMIO_POD_URL, CHROMIUM.
import { journey, env, logIn, tokenReady } from "./lib.mjs";

const { step, finish, base, shot, newPage } = journey();
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const podURL = env("NAAMIO_POD_URL");

// What the files' scripts do if they ever run: leave marks a test can see.
const payload = `document.title='PWNED';try{localStorage.setItem('pwned','1')}catch(e){};try{parent.document.title='PWNED'}catch(e){};alert('xss')`;
const html = `<!doctype html><html><head><title>innocent</title></head><body><p>hello</p><script>${payload}</script><img src=x onerror="${payload}"></body></html>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" onload="${payload}"><circle r="20" cx="20" cy="20"/><script><![CDATA[${payload}]]></script></svg>`;
const evilName = `<img src=x onerror=alert(1)>"'.txt`;

let page;
const dialogs = [];

const row = (name) => page.locator("#listing tbody tr").filter({ has: page.locator(`a:text-is(${JSON.stringify(name)})`) });

const noScriptRan = async (where) => {
  await page.waitForTimeout(700);
  const title = await page.title();
  const mark = await page.evaluate(() => { try { return localStorage.getItem("pwned"); } catch (e) { return "no storage: " + e.name; } });
  if (title === "PWNED" || mark === "1" || dialogs.length) {
    throw new Error(`${where}: the file's script ran (title ${title}, storage ${mark}, dialogs ${dialogs.join(" | ")})`);
  }
  return `title ${JSON.stringify(title)}`;
};

await step("launch", async () => {
  page = await newPage("owner");
  page.on("dialog", async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  return "chromium";
});

await step("log-in", async () => {
  await page.goto(`${base}.idp/login?next=${encodeURIComponent(new URL(podURL).pathname)}`);
  await logIn(page, { email, password });
  await page.waitForURL(podURL);
  await tokenReady(page);
  await page.waitForURL(podURL);
  return page.url();
});

await step("upload-hostile-files", async () => {
  await page.setInputFiles("#files", [
    { name: "page.html", mimeType: "text/html", buffer: Buffer.from(html) },
    { name: "pic.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) },
    { name: evilName, mimeType: "text/plain", buffer: Buffer.from("a name with markup\n") },
  ]);
  await Promise.all([page.waitForEvent("load"), page.click("#upload button[type=submit]")]);
  await page.waitForSelector("#progress .notice, #progress .error");
  const text = await page.locator("#progress").innerText();
  if (!/Uploaded 3 files/.test(text)) throw new Error(text);
  return text;
});

await step("markup-name-is-inert", async () => {
  const r = row(evilName + "");
  if ((await r.count()) !== 1) throw new Error(`the name ${evilName} is not listed as text`);
  const imgs = await page.locator("#listing img").count();
  if (imgs) throw new Error(`${imgs} <img> elements in the listing`);
  await shot(page, "listing-with-hostile-names");
  await Promise.all([page.waitForEvent("load"), r.locator("a").click()]);
  if ((await page.locator("h1").innerText()) !== evilName) throw new Error(`the file's page is titled ${await page.locator("h1").innerText()}`);
  await shot(page, "markup-name-page");
  return await noScriptRan("the listing and the file's page");
});

for (const [name, file] of [["html", "page.html"], ["svg", "pic.svg"]]) {
  await step(`${name}-page-runs-no-script`, async () => {
    const resp = await page.goto(podURL + file);
    if (!resp.headers()["content-type"].startsWith("text/html")) throw new Error(`not a page: ${resp.headers()["content-type"]}`);
    await shot(page, `${name}-page`);
    return await noScriptRan(`the page of ${file}`);
  });
  await step(`${name}-raw-runs-no-script`, async () => {
    const resp = await page.goto(podURL + file + "?raw");
    const csp = resp.headers()["content-security-policy"] ?? "";
    if (!/sandbox/.test(csp)) throw new Error(`${file}?raw is served without a sandbox: CSP ${JSON.stringify(csp)} (status ${resp.status()})`);
    return `${await noScriptRan(`${file}?raw`)}; CSP ${csp}`;
  });
}

await finish();
