// Drives Inrupt's notifications client against a Naamio server (issue 12
// item 4): a user logged in with client credentials (Solid-OIDC, DPoP)
// subscribes over WebSocket to a document and to its container, discovering
// the service as the library does (the storage's /.well-known/solid), and a
// second, separately logged-in client creates, updates and deletes the
// document; the first client must see each change.
// Input from the environment: NAAMIO_ISSUER, NAAMIO_CLIENT_ID,
// NAAMIO_CLIENT_SECRET, NAAMIO_OWN_POD (pod root URL). NAAMIO_PHASE
// "before-restart" subscribes and writes the socket URL to
// NAAMIO_STATE_FILE; "after-restart" (the server was restarted in between)
// subscribes anew and reopens that old socket URL, and both must see the
// next Update.
// Output: one JSON line per step; exit status 0 only if every step passed.
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "@inrupt/solid-client-authn-node";
import { WebsocketNotification } from "@inrupt/solid-client-notifications";
import {
  createSolidDataset, createThing, buildThing, setThing, getThing,
  saveSolidDatasetAt, getSolidDataset, deleteSolidDataset,
} from "@inrupt/solid-client";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const NOTE = "http://schema.org/text";
const WAIT_MS = 10000;
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

const login = async () => {
  const s = new Session();
  await s.login({
    clientId: env("NAAMIO_CLIENT_ID"),
    clientSecret: env("NAAMIO_CLIENT_SECRET"),
    oidcIssuer: env("NAAMIO_ISSUER"),
    tokenType: "DPoP",
  });
  if (!s.info.isLoggedIn) throw new Error("not logged in");
  return s;
};

// listen collects the messages of one WebsocketNotification.
const listen = (topic, fetch) => {
  const ws = new WebsocketNotification(topic, { fetch });
  const got = [];
  const waiters = [];
  let connected = false;
  ws.on("message", (m) => {
    got.push(m);
    for (const w of waiters.splice(0)) w();
  });
  // waitFor resolves with the first message matching pred, or rejects
  // after WAIT_MS saying what did arrive.
  const waitFor = (what, pred) => new Promise((resolve, reject) => {
    if (!connected) {
      reject(new Error(`no ${what}: the socket for ${topic} never opened`));
      return;
    }
    const timer = setTimeout(() => {
      reject(new Error(`no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(got)}`));
    }, WAIT_MS);
    const check = () => {
      const m = got.find(pred);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      } else {
        waiters.push(check);
      }
    };
    check();
  });
  const connect = (endpoint) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("not connected within 10 s")), WAIT_MS);
    ws.once("connected", () => { connected = true; clearTimeout(timer); resolve(); });
    ws.once("error", (e) => { clearTimeout(timer); reject(new Error(`socket error: ${e?.message ?? e}`)); });
    ws.connect(endpoint).catch((e) => { clearTimeout(timer); reject(e); });
  });
  return { ws, got, waitFor, connect };
};

// typeOf is a notification's activity type ("Update" or ["Update"]).
const isType = (m, t) => m?.type === t || (Array.isArray(m?.type) && m.type.includes(t));
const about = (m, iri) => m?.object === iri || m?.object?.id === iri;

// dataModel checks what the Notification Message Data Model asks of a
// notification: an id, a type, the object, published; state on the
// resource's own notifications.
const dataModel = (m, withState) => {
  for (const k of ["id", "type", "object", "published"]) {
    if (!m[k]) throw new Error(`notification without ${k}: ${JSON.stringify(m)}`);
  }
  if (withState && !m.state) throw new Error(`notification without state: ${JSON.stringify(m)}`);
  return JSON.stringify(m);
};


// The restart phases (TestInruptNotificationsRestart).
const phase = process.env.NAAMIO_PHASE ?? "";
if (phase !== "") {
  const target = env("NAAMIO_OWN_POD") + "restart/note.ttl";
  const state = env("NAAMIO_STATE_FILE");
  let reader, writer;
  await step(`${phase}-login`, async () => {
    reader = await login();
    writer = await login();
    return reader.info.webId;
  });
  // write creates the note, or replaces its text (a PATCH of the dataset
  // read before, as an app does).
  const write = async (text) => {
    const ds = await getSolidDataset(target, { fetch: writer.fetch }).catch(() => createSolidDataset());
    const old = getThing(ds, target + "#note") ?? createThing({ name: "note" });
    const thing = buildThing(old).setStringNoLocale(NOTE, text).build();
    await saveSolidDatasetAt(target, setThing(ds, thing), { fetch: writer.fetch });
  };
  const listeners = [];
  if (phase === "before-restart") {
    await write("before");
    const l = listen(target, reader.fetch);
    listeners.push(l);
    await step("before-restart-subscribe", async () => {
      await l.connect();
      writeFileSync(state, l.ws.websocket.url);
      return "socket open";
    });
    await step("before-restart-update", async () => {
      await write("still before");
      return dataModel(await l.waitFor("Update", (m) => isType(m, "Update") && about(m, target)), true);
    });
  } else {
    const fresh = listen(target, reader.fetch);
    const old = listen(target, reader.fetch);
    listeners.push(fresh, old);
    await step("after-restart-subscribe", async () => {
      await fresh.connect();
      return "new subscription's socket open";
    });
    await step("after-restart-old-channel", async () => {
      await old.connect(readFileSync(state, "utf8"));
      return "the channel made before the restart opens again";
    });
    await step("after-restart-update", async () => {
      await write("after");
      const a = await fresh.waitFor("Update on the new channel", (m) => isType(m, "Update") && about(m, target));
      const b = await old.waitFor("Update on the old channel", (m) => isType(m, "Update") && about(m, target));
      if (a.id !== b.id) throw new Error(`the channels saw different changes: ${a.id} ${b.id}`);
      return dataModel(a, true);
    });
  }
  for (const l of listeners) l.ws.disconnect();
  await reader?.logout({ logoutType: "app" }).catch(() => {});
  await writer?.logout({ logoutType: "app" }).catch(() => {});
  process.exit(failed ? 1 : 0);
}

const own = env("NAAMIO_OWN_POD");
const container = own + "live/";
const target = container + "note.ttl";

let reader, writer;
await step("login", async () => {
  reader = await login();
  writer = await login(); // another client: its own session, key and token
  return reader.info.webId;
});

// The container must exist before it can be listened to as a container
// (the library subscribes to any IRI; the server needs Read on it).
await step("prepare", async () => {
  const thing = buildThing(createThing({ name: "seed" })).addStringNoLocale(NOTE, "seed").build();
  await saveSolidDatasetAt(container + "seed.ttl", setThing(createSolidDataset(), thing), { fetch: writer.fetch });
});

const doc = listen(target, reader.fetch);
const dir = listen(container, reader.fetch);
await step("subscribe-resource", async () => {
  await doc.connect();
  return `socket open for ${target}`;
});
await step("subscribe-container", async () => {
  await dir.connect();
  return `socket open for ${container}`;
});

await step("create", async () => {
  const thing = buildThing(createThing({ name: "note" })).addStringNoLocale(NOTE, "first").build();
  await saveSolidDatasetAt(target, setThing(createSolidDataset(), thing), { fetch: writer.fetch });
  const m = await doc.waitFor("Create of the document", (m) => isType(m, "Create") && about(m, target));
  return dataModel(m, true);
});
await step("container-add", async () => {
  const m = await dir.waitFor("Add on the container", (m) => isType(m, "Add") && about(m, target));
  if (m.target !== container && m.target?.id !== container) throw new Error(`Add with target ${JSON.stringify(m.target)}`);
  return dataModel(m, false);
});
await step("update", async () => {
  let ds = await getSolidDataset(target, { fetch: writer.fetch });
  const thing = buildThing(getThing(ds, target + "#note")).setStringNoLocale(NOTE, "second").build();
  ds = await saveSolidDatasetAt(target, setThing(ds, thing), { fetch: writer.fetch });
  const m = await doc.waitFor("Update of the document", (m) => isType(m, "Update") && about(m, target));
  return dataModel(m, true);
});
await step("delete", async () => {
  await deleteSolidDataset(target, { fetch: writer.fetch });
  const m = await doc.waitFor("Delete of the document", (m) => isType(m, "Delete") && about(m, target));
  return dataModel(m, false);
});
await step("container-remove", async () => {
  const m = await dir.waitFor("Remove on the container", (m) => isType(m, "Remove") && about(m, target));
  if (m.target !== container && m.target?.id !== container) throw new Error(`Remove with target ${JSON.stringify(m.target)}`);
  return dataModel(m, false);
});
doc.ws.disconnect();
dir.ws.disconnect();
await reader.logout({ logoutType: "app" }).catch(() => {});
await writer.logout({ logoutType: "app" }).catch(() => {});
process.exit(failed ? 1 : 0);
