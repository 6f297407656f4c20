// Drives Inrupt's Node client against a Naamio server: log in with client
// credentials (Solid-OIDC, DPoP), then create, read, update and delete a
// private resource in the account's own pod, and be refused on another pod.
// Input from the environment: NAAMIO_ISSUER, NAAMIO_CLIENT_ID,
// NAAMIO_CLIENT_SECRET, NAAMIO_OWN_POD, NAAMIO_OTHER_POD (pod root URLs).
// Output: one JSON line per step; exit status 0 only if every step passed.
import { Session } from "@inrupt/solid-client-authn-node";
import {
  createSolidDataset, createThing, buildThing, setThing, getThing,
  saveSolidDatasetAt, getSolidDataset, getStringNoLocale, deleteSolidDataset,
} from "@inrupt/solid-client";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const NOTE = "http://schema.org/text";
let failed = 0;
const step = async (name, fn) => {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ step: name, ok: true, detail: detail ?? "" }));
  } catch (e) {
    failed++;
    console.log(JSON.stringify({ step: name, ok: false, detail: String(e?.message ?? e) }));
  }
};
const status = (e) => e?.statusCode ?? e?.response?.status;
const expectRefused = async (fn, codes) => {
  try {
    await fn();
  } catch (e) {
    if (codes.includes(status(e))) return `refused with ${status(e)}`;
    throw new Error(`expected ${codes}, got ${status(e)}: ${e?.message}`);
  }
  throw new Error("not refused");
};

const own = env("NAAMIO_OWN_POD");
const other = env("NAAMIO_OTHER_POD");
const target = own + "e2e/note.ttl";
const session = new Session();

await step("login", async () => {
  await session.login({
    clientId: env("NAAMIO_CLIENT_ID"),
    clientSecret: env("NAAMIO_CLIENT_SECRET"),
    oidcIssuer: env("NAAMIO_ISSUER"),
    tokenType: "DPoP",
  });
  if (!session.info.isLoggedIn) throw new Error("not logged in");
  return session.info.webId;
});

const fetch = session.fetch;
await step("create", async () => {
  const thing = buildThing(createThing({ name: "note" })).addStringNoLocale(NOTE, "first").build();
  await saveSolidDatasetAt(target, setThing(createSolidDataset(), thing), { fetch });
});
await step("read", async () => {
  const ds = await getSolidDataset(target, { fetch });
  const v = getStringNoLocale(getThing(ds, target + "#note"), NOTE);
  if (v !== "first") throw new Error(`read ${v}`);
  return v;
});
await step("update", async () => {
  let ds = await getSolidDataset(target, { fetch });
  const thing = buildThing(getThing(ds, target + "#note")).setStringNoLocale(NOTE, "second").build();
  ds = await saveSolidDatasetAt(target, setThing(ds, thing), { fetch });
  const again = await getSolidDataset(target, { fetch });
  const v = getStringNoLocale(getThing(again, target + "#note"), NOTE);
  if (v !== "second") throw new Error(`after update ${v}`);
  return v;
});
await step("private-to-others", () => expectRefused(() => getSolidDataset(target), [401]));
await step("refused-read-other-pod", () =>
  expectRefused(() => getSolidDataset(other + "settings/prefs.ttl", { fetch }), [403]));
await step("refused-write-other-pod", () =>
  expectRefused(() => saveSolidDatasetAt(other + "e2e/intrusion.ttl", createSolidDataset(), { fetch }), [403]));
await step("delete", async () => {
  await deleteSolidDataset(target, { fetch });
  await expectRefused(() => getSolidDataset(target, { fetch }), [404]);
});
await session.logout({ logoutType: "app" }).catch(() => {});
process.exit(failed ? 1 : 0);
