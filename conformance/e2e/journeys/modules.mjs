// The modules journey (issue 15 items 2 and 6): a person signs up, opens
// the modules page of their new pod, installs the Go indexer of the
// module examples (built by the Go test) from an uploaded .wasm, sees the
// permission prompt naming exactly the containers and modes the manifest
// asks for, allows it, sees it running, writes a note it reacts to (the
// counters and the log show it), disables it and uninstalls it (its ACL
// grants go too).
// Input from the environment (lib.mjs): NAAMIO_BASE (with its trailing
// slash), NAAMIO_SHOTS, CHROMIUM; and NAAMIO_EMAIL, NAAMIO_PASSWORD,
// NAAMIO_POD, NAAMIO_WASM (the indexer's .wasm).
// Output: one JSON line per step; exit status 0 only if every step passed.
import { env, journey, log, signUp, tokenReady } from "./lib.mjs";

const { step, finish, base, shot: shotOf, newPage } = journey({ totalMs: 240_000 });
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const podName = env("NAAMIO_POD");
const wasm = env("NAAMIO_WASM");
const pod = `${base}${podName}/`;
const pageURL = `${base}.web/modules?pod=${podName}`;
const agent = `${pod}settings/modules/indexer.json#module`;
const manifest = JSON.stringify({
  name: "indexer",
  version: "1.0.0",
  wasm: { url: "indexer.wasm", sha256: "filled-in-by-the-page" },
  reactors: [{ export: "on_change", container: "../../notes/", contentTypes: ["text/turtle"] }],
  access: [{ container: "../../index/", modes: ["Read", "Write"] }],
  config: { index: `${pod}index/titles.ttl` },
  limits: { timeoutMs: 10000 },
}, null, 2);

let page;
const shot = (name) => shotOf(page, name);
const text = () => page.locator("main").innerText();

// solid runs solidFetch in the page (the person's own DPoP token).
const solid = (url, init) => page.evaluate(async ([url, init]) => {
  const m = await import(new URL(".web/static/naamio.js", document.querySelector("meta[name=naamio-base]").content).href);
  const res = await m.solidFetch(url, init);
  return { status: res.status, body: await res.text() };
}, [url, init]);

await step("launch", async () => {
  page = await newPage("owner", { viewport: { width: 1000, height: 800 } });
  page.on("response", (r) => { if (r.status() >= 400) log(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`); });
  page.on("dialog", (d) => { log(`dialog: ${d.message()}`); d.accept(); });
  return "ok";
});

await step("signup", async () => {
  await signUp(page, base, { email, password, pod: podName });
  // The own pod's page, where the pages' script signs in once for the tab.
  await tokenReady(page);
  await page.waitForURL(pod); // back from that sign-in
  await page.waitForLoadState("load");
  return page.url();
});

await step("open-page", async () => {
  await page.goto(pageURL);
  // The script signs in through the session once (naamio.js ready) and
  // comes back; the install form shows when it can write.
  await page.waitForURL((u) => u.href.startsWith(pageURL));
  await page.locator("#install:not([hidden])").waitFor();
  const t = await text();
  if (!t.includes("No modules are installed")) throw new Error("a new pod shows modules");
  await shot("empty");
  return page.url();
});

await step("permission-prompt", async () => {
  await page.setInputFiles("#wasm-file", wasm);
  await page.fill("#manifest", manifest);
  await page.click("#install button[type=submit]");
  await page.locator("#prompt:not([hidden])").waitFor();
  const p = await page.locator("#prompt").innerText();
  for (const want of [`${pod}notes/`, `${pod}index/`, "Read, Write", "reacts to changes in it (on_change)", "may not fetch anything", agent]) {
    if (!p.includes(want)) throw new Error(`prompt lacks ${want}: ${p}`);
  }
  await shot("prompt");
  return p.split("\n").slice(0, 6).join(" | ");
});

await step("decline", async () => {
  await page.click("#decline");
  await page.locator("#prompt[hidden]").waitFor({ state: "attached" });
  const said = await page.locator("#install-status").innerText();
  if (!said.includes("Nothing was installed")) throw new Error(`after declining: ${said}`);
  for (const u of [`${pod}settings/modules/indexer.json`, `${pod}settings/modules/indexer.wasm`, `${pod}notes/.acl`, `${pod}index/.acl`]) {
    const r = await solid(u, {});
    if (r.status !== 404) throw new Error(`${u} written although declined: ${r.status}`);
  }
  // Asked again, for the approval.
  await page.click("#install button[type=submit]");
  await page.locator("#prompt:not([hidden])").waitFor();
  return "nothing written";
});

await step("approve-running", async () => {
  await Promise.all([page.waitForURL((u) => u.searchParams.get("done") === "installed"), page.click("#approve")]);
  const t = await text();
  if (!t.includes("The module is installed") || !t.includes("indexer") || !t.includes("running")) throw new Error("not shown running");
  const acl = await solid(`${pod}notes/.acl`, { headers: { Accept: "text/turtle" } });
  if (acl.status !== 200 || !acl.body.includes(agent)) throw new Error(`notes/.acl does not grant the module: ${acl.status} ${acl.body}`);
  await shot("installed");
  return "running";
});

await step("reacts", async () => {
  const put = await solid(`${pod}notes/hello.ttl`, { method: "PUT", headers: { "Content-Type": "text/turtle" }, body: '<> <http://purl.org/dc/terms/title> "Hello from the browser" .' });
  if (put.status !== 201) throw new Error(`writing a note: ${put.status} ${put.body}`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    await page.goto(pageURL);
    const calls = Number(await page.locator('[data-counter="calls"]').first().innerText());
    const t = await text();
    if (calls >= 1 && t.includes("indexed")) break;
    if (Date.now() > deadline) throw new Error(`no reaction shown (calls ${calls})`);
    await page.waitForTimeout(500);
  }
  const idx = await solid(`${pod}index/titles.ttl`, { headers: { Accept: "text/turtle" } });
  if (!idx.body.includes("Hello from the browser")) throw new Error(`index: ${idx.status} ${idx.body}`);
  await shot("reacted");
  return "calls and log show the reaction";
});

await step("phone", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(pageURL);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 375) {
    const over = await page.evaluate(() => Array.from(document.querySelectorAll("body *"))
      .filter((e) => e.getBoundingClientRect().right > 376)
      .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}`).join(", "));
    throw new Error(`page is ${wide} px wide at 375: ${over}`);
  }
  await shot("phone");
  await page.setViewportSize({ width: 1000, height: 800 });
  return `${wide} px`;
});

await step("upgrade-prompts-again", async () => {
  await page.click('button[data-action="upgrade"]');
  await page.waitForFunction(() => document.getElementById("manifest").value.includes('"indexer"'));
  const m = JSON.parse(await page.inputValue("#manifest"));
  m.version = "1.1.0";
  m.allowedHosts = ["api.example.org"];
  await page.fill("#manifest", JSON.stringify(m, null, 2));
  await page.click("#install button[type=submit]");
  await page.locator("#prompt:not([hidden])").waitFor();
  const p = await page.locator("#prompt").innerText();
  if (!p.includes("more than the installed version") || !p.includes("api.example.org (new)")) throw new Error(`upgrade prompt: ${p}`);
  await shot("upgrade-prompt");
  await Promise.all([page.waitForURL((u) => u.searchParams.get("done") === "upgraded"), page.click("#approve")]);
  const t = await text();
  if (!t.includes("version 1.1.0") || !t.includes("https://api.example.org")) throw new Error("upgrade not shown");
  return "asked again for the new host; upgraded";
});

await step("disable", async () => {
  await Promise.all([page.waitForURL((u) => u.searchParams.get("done") === "disabled"), page.click('button[data-action="disable"]')]);
  const t = await text();
  if (!t.includes("disabled") || !(await page.locator('button[data-action="enable"]').isVisible())) throw new Error("not shown disabled");
  await shot("disabled");
  return "disabled";
});

await step("uninstall", async () => {
  await Promise.all([page.waitForURL((u) => u.searchParams.get("done") === "uninstalled"), page.click('button[data-action="uninstall"]')]);
  const t = await text();
  if (!t.includes("No modules are installed")) throw new Error("module still listed");
  for (const c of ["notes/", "index/"]) {
    const acl = await solid(`${pod}${c}.acl`, { headers: { Accept: "text/turtle" } });
    if (acl.status !== 200 || acl.body.includes(agent)) throw new Error(`${c}.acl still names the module: ${acl.status} ${acl.body}`);
  }
  const bin = await solid(`${pod}settings/modules/indexer.wasm`, {});
  if (bin.status !== 404) throw new Error(`binary left: ${bin.status}`);
  await shot("uninstalled");
  return "uninstalled, grants removed";
});

await finish();
