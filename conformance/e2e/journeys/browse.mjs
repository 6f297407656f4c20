// Journey "browse" (issue 15 items 0, 1, 5): a person signs up, lands on
// their own pod's page, creates a folder, uploads a small file and one
// larger than 5 MiB (watching its progress), renames a file and the
// folder (a recursive move), deletes with confirmation, sorts the listing
// without JavaScript, and the page holds up at 375 px and with the
// keyboard. Input: NAAMIO_BASE, NAAMIO_SHOTS, NAAMIO_EMAIL,
// NAAMIO_PASSWORD, NAAMIO_POD, CHROMIUM.
import { journey, env, signUp, tokenReady } from "./lib.mjs";

const { step, finish, base, shot, newPage, setCurrent } = journey({ stepMs: 40_000, totalMs: 240_000 });
const email = env("NAAMIO_EMAIL");
const password = env("NAAMIO_PASSWORD");
const pod = env("NAAMIO_POD");
const podURL = `${base}${pod}/`;
const BIG = 6 * 1024 * 1024 + 123;

let page;

const rowNames = () => page.locator("#listing tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.name));
const row = (name) => page.locator(`#listing tbody tr[data-name="${name}"]`);

// reloaded clicks and waits for the page to be loaded again (browse.js
// reloads after each write) with the notice it leaves.
const afterWrite = async (action) => {
  await Promise.all([page.waitForEvent("load"), action()]);
  await page.waitForSelector("#progress .notice, #progress .error");
  const err = await page.locator("#progress .error").count();
  if (err) throw new Error(await page.locator("#progress").innerText());
  return page.locator("#progress").innerText();
};

await step("launch", async () => {
  page = await newPage("person");
  return "chromium";
});

await step("sign-up", async () => {
  await page.goto(base);
  if (!(await page.locator("h1").innerText()).includes("pod server")) throw new Error("no landing page at /");
  await shot(page, "landing");
  await signUp(page, base, { email, password, pod });
  return page.url();
});

await step("lands-on-own-pod", async () => {
  if (!page.url().startsWith(podURL)) throw new Error(`after sign-up the browser is at ${page.url()}, not ${podURL}`);
  await tokenReady(page);
  await page.waitForURL(podURL);
  const names = await rowNames();
  if (!names.includes("profile")) throw new Error(`the pod page lists ${names}`);
  await shot(page, "own-pod");
  return names.join(", ");
});

await step("create-folder", async () => {
  await page.fill("#folder-name", "Holiday photos");
  const notice = await afterWrite(() => page.click("#new-folder button[type=submit]"));
  if (!(await rowNames()).includes("Holiday photos")) throw new Error("the new folder is not listed");
  await shot(page, "folder-created");
  await Promise.all([page.waitForURL(`${podURL}Holiday%20photos/`), row("Holiday photos").locator("a").click()]);
  if (!(await page.locator("h1").innerText()).includes("Holiday photos")) throw new Error("folder page title");
  return notice;
});

await step("upload-with-progress", async () => {
  const big = Buffer.alloc(BIG);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
  await page.setInputFiles("#files", [
    { name: "small.txt", mimeType: "text/plain", buffer: Buffer.from("hello from the journey\n") },
    { name: "big.bin", mimeType: "application/octet-stream", buffer: big },
  ]);
  // Slow the upload down so that progress can be watched (loopback is
  // too fast to see it otherwise).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 3 * 1024 * 1024 });
  const seen = [];
  const loaded = page.waitForEvent("load", { timeout: 40_000 });
  await page.click("#upload button[type=submit]");
  let shotTaken = false;
  for (let i = 0; i < 200; i++) {
    const v = await page.evaluate(() => {
      const p = document.querySelector("#progress progress");
      const l = document.querySelector("#progress p");
      return p ? { value: p.value, max: p.max, text: l ? l.textContent : "" } : null;
    }).catch(() => null);
    if (v && v.max === BIG && v.value > 0 && v.value < v.max) {
      seen.push(v.value);
      if (!shotTaken) {
        await shot(page, "upload-progress");
        shotTaken = true;
      }
    }
    if (seen.length >= 3) break;
    await page.waitForTimeout(100);
  }
  await loaded;
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.waitForSelector("#progress .notice, #progress .error");
  if (seen.length === 0) throw new Error("no progress between 0 and 100% was shown for the large file");
  const names = await rowNames();
  if (!names.includes("small.txt") || !names.includes("big.bin")) throw new Error(`listed: ${names}`);
  const size = await row("big.bin").locator("td.num").first().innerText();
  if (size !== "6.0 MiB") throw new Error(`big.bin is listed with size ${size}`);
  // What was stored is what was sent (read back through the Solid API).
  const got = await page.evaluate(async (u) => {
    const { solidFetch } = await import("/.web/static/naamio.js");
    const r = await solidFetch(u);
    const b = new Uint8Array(await r.arrayBuffer());
    let sum = 0;
    for (let i = 0; i < b.length; i++) sum = (sum + b[i] * ((i % 251) + 1)) % 1000000007;
    return { status: r.status, len: b.length, sum };
  }, `${podURL}Holiday%20photos/big.bin`);
  let want = 0;
  for (let i = 0; i < big.length; i++) want = (want + big[i] * ((i % 251) + 1)) % 1000000007;
  if (got.status !== 200 || got.len !== BIG || got.sum !== want) throw new Error(`read back ${JSON.stringify(got)}, want ${BIG} bytes with sum ${want}`);
  await shot(page, "uploaded");
  return `progress seen at ${seen.map((v) => Math.round((v / BIG) * 100) + "%").join(", ")}; ${BIG} bytes stored`;
});

await step("rename-file", async () => {
  await row("small.txt").getByRole("button", { name: "Rename small.txt" }).click();
  await page.fill("#dlg-input", "notes.txt");
  await shot(page, "rename-dialog");
  const notice = await afterWrite(() => page.click("dialog button[type=submit]"));
  const names = await rowNames();
  if (!names.includes("notes.txt") || names.includes("small.txt")) throw new Error(`listed: ${names}`);
  return notice;
});

await step("rename-folder", async () => {
  // Share the folder publicly to read and add to (its own ACL, naming the folder by its
  // absolute URL), so that the move must carry the ACL over.
  const shared = await page.evaluate(async ([folder]) => {
    const { solidFetch } = await import("/.web/static/naamio.js");
    const me = JSON.parse(sessionStorage.getItem("naamio.token")).webid;
    const acl = `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <${me}>; acl:accessTo <${folder}>; acl:default <${folder}>; acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <${folder}>; acl:default <${folder}>; acl:mode acl:Read, acl:Append.`;
    const r = await solidFetch(folder + ".acl", { method: "PUT", headers: { "Content-Type": "text/turtle" }, body: acl });
    return r.status;
  }, [`${podURL}Holiday%20photos/`]);
  if (shared !== 201 && shared !== 205 && shared !== 204) throw new Error(`sharing the folder: ${shared}`);
  const anonBefore = await (await fetch(`${podURL}Holiday%20photos/notes.txt`)).status;
  if (anonBefore !== 200) throw new Error(`the shared folder's file answers ${anonBefore} to anyone`);
  await page.goto(podURL);
  await row("Holiday photos").getByRole("button", { name: "Rename Holiday photos" }).click();
  await page.fill("#dlg-input", "Trips");
  const notice = await afterWrite(() => page.click("dialog button[type=submit]"));
  const names = await rowNames();
  if (!names.includes("Trips") || names.includes("Holiday photos")) throw new Error(`listed: ${names}`);
  await Promise.all([page.waitForURL(`${podURL}Trips/`), row("Trips").locator("a").click()]);
  const inside = await rowNames();
  if (!inside.includes("notes.txt") || !inside.includes("big.bin")) throw new Error(`the moved folder holds ${inside}`);
  await shot(page, "folder-renamed");
  // The sharing moved with it: anyone reads the moved file, nobody the old.
  const anon = await (await fetch(`${podURL}Trips/notes.txt`)).status;
  if (anon !== 200) throw new Error(`after the move, Trips/notes.txt answers ${anon} to anyone (sharing not carried over)`);
  const old = await (await fetch(`${podURL}Holiday%20photos/notes.txt`)).status;
  if (old !== 404 && old !== 401 && old !== 403) throw new Error(`the old location answers ${old}`);
  return `${notice}; public read carried over to Trips/`;
});

await step("sort-without-script", async () => {
  // The sort links are plain links: the server sorts (no JavaScript).
  await page.click("#listing thead th:nth-child(3) a");
  await page.waitForURL(/sort=size/);
  const first = await rowNames();
  if (first[0] !== "notes.txt") throw new Error(`ascending by size: ${first}`);
  if ((await page.locator("#listing thead th:nth-child(3)").getAttribute("aria-sort")) !== "ascending") throw new Error("aria-sort");
  await page.click("#listing thead th:nth-child(3) a");
  await page.waitForURL(/order=desc/);
  if ((await rowNames())[0] !== "big.bin") throw new Error(`descending by size: ${await rowNames()}`);
  return "by size, both ways";
});

await step("anonymous-append", async () => {
  // A visitor who may only add (public acl:Append) gets the upload form,
  // no rename or delete, and adds a file anonymously: no sign-in.
  const guest = await newPage("visitor");
  await guest.goto(`${podURL}Trips/`);
  if ((await guest.locator("#files").count()) !== 1) throw new Error("no upload form for a visitor who may append");
  if (await guest.locator("#listing button").count()) throw new Error("a visitor gets rename or delete buttons");
  await guest.setInputFiles("#files", [{ name: "guest book.txt", mimeType: "text/plain", buffer: Buffer.from("was here\n") }]);
  await Promise.all([guest.waitForEvent("load"), guest.click("#upload button[type=submit]")]);
  await guest.waitForSelector("#progress .notice, #progress .error");
  const said = await guest.locator("#progress").innerText();
  if (!guest.url().startsWith(`${podURL}Trips/`) || !/Uploaded/.test(said)) throw new Error(`${guest.url()}: ${said}`);
  const names = await guest.locator("#listing tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.name));
  if (!names.includes("guest book.txt")) throw new Error(`listed for the visitor: ${names}`);
  await shot(guest, "visitor-appended");
  await guest.context().close();
  setCurrent(page);
  return `${said} (${names.join(", ")})`;
});

await step("delete-with-confirmation", async () => {
  await row("notes.txt").getByRole("button", { name: "Delete notes.txt" }).click();
  await page.waitForSelector("dialog[open]");
  await shot(page, "delete-confirm");
  // Cancel first: nothing happens.
  await page.click("dialog button.secondary");
  if (!(await rowNames()).includes("notes.txt")) throw new Error("cancel deleted the file");
  await row("notes.txt").getByRole("button", { name: "Delete notes.txt" }).click();
  await afterWrite(() => page.click("dialog button.danger"));
  if ((await rowNames()).includes("notes.txt")) throw new Error("notes.txt still listed");
  await page.goto(podURL);
  await row("Trips").getByRole("button", { name: "Delete Trips" }).click();
  const notice = await afterWrite(() => page.click("dialog button.danger"));
  if ((await rowNames()).includes("Trips")) throw new Error("Trips still listed");
  const gone = await page.evaluate(async (u) => {
    const { solidFetch } = await import("/.web/static/naamio.js");
    return (await solidFetch(u, { method: "HEAD" })).status;
  }, `${podURL}Trips/big.bin`);
  if (gone !== 404) throw new Error(`Trips/big.bin answers ${gone} after the folder was deleted`);
  await shot(page, "deleted");
  return notice;
});

await step("phone-and-keyboard", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(podURL);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await shot(page, "phone");
  if (overflow > 0) throw new Error(`the page is ${overflow} px wider than a 375 px phone`);
  // The first Tab reaches the skip link, and focus is visible.
  await page.keyboard.press("Tab");
  const focus = await page.evaluate(() => {
    const el = document.activeElement;
    const cs = getComputedStyle(el);
    return { text: el.textContent.trim(), outline: cs.outlineStyle, width: cs.outlineWidth };
  });
  if (focus.text !== "Skip to content" || focus.outline === "none") throw new Error(`first focus: ${JSON.stringify(focus)}`);
  await shot(page, "keyboard-focus");
  await page.emulateMedia({ colorScheme: "dark" });
  await shot(page, "phone-dark");
  return `no overflow at 375 px; first Tab: ${focus.text} (outline ${focus.outline} ${focus.width})`;
});

// contrastReport measures, in the page, the contrast of every visible
// text element against its background (WCAG 2.2 1.4.3: 4.5:1, 3:1 for
// large text) and returns the failures.
const contrastReport = () => page.evaluate(() => {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return rgb(getComputedStyle(document.documentElement).backgroundColor).length >= 3 ? rgb(getComputedStyle(document.documentElement).backgroundColor) : [255, 255, 255];
  };
  const bad = [];
  let n = 0;
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent && el.tagName !== "BODY") continue;
    const own = [...el.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === "hidden" || el.closest(".visually-hidden, .skip")) continue;
    const a = lum(rgb(cs.color).slice(0, 3)), b = lum(bgOf(el).slice(0, 3));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(cs.fontSize), bold = Number(cs.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    n++;
    if (ratio < need) bad.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}:1`);
  }
  return { n, bad };
});

await step("contrast-aa", async () => {
  await page.setViewportSize({ width: 1100, height: 800 });
  const out = [];
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const u of [podURL, `${base}.idp/account`, `${podURL}no-such-folder/`]) {
      await page.goto(u);
      const { n, bad } = await contrastReport();
      if (bad.length) throw new Error(`${scheme} ${u}: ${bad.join("; ")}`);
      out.push(`${scheme} ${new URL(u).pathname}: ${n} texts`);
    }
  }
  return out.join(", ") + " at 4.5:1 (3:1 large) or better";
});

await finish();
