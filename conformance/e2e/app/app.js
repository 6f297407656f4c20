// The test app of the headless-browser end-to-end test (conformance/e2e).
// First visit: /?issuer=<OpenID Provider>; the "Log in" button starts the
// Solid-OIDC login there. Back from the provider, handleIncomingRedirect
// finishes it; the app then writes a private Turtle resource into the
// user's pod, reads it back, checks that an unauthenticated read is
// refused, and shows the outcome as JSON in <pre id="result" data-state>.
import { login, handleIncomingRedirect, getDefaultSession } from "@inrupt/solid-client-authn-browser";
import {
  createSolidDataset, createThing, buildThing, setThing, getThing,
  saveSolidDatasetAt, getSolidDataset, getStringNoLocale, getPodUrlAll,
} from "@inrupt/solid-client";

const NOTE = "http://schema.org/text";
const $ = (id) => document.getElementById(id);
const show = (state, data) => {
  $("result").dataset.state = state;
  $("result").textContent = JSON.stringify(data);
};

// The redirect URL is the page without its query: it must stay the same
// from registration to the token request.
const redirectUrl = location.origin + location.pathname;

async function podOf(webId, fetch) {
  try {
    const pods = await getPodUrlAll(webId, { fetch });
    if (pods.length > 0) return pods[0];
  } catch {
    // fall back to the path-based layout: <base>/<pod>/profile/card#me
  }
  return new URL("../", webId).href;
}

async function exercise(session) {
  const webId = session.info.webId;
  const fetch = session.fetch;
  const pod = new URLSearchParams(location.search).get("pod") || (await podOf(webId, fetch));
  const target = `${pod}browser-e2e/note-${Date.now().toString(36)}.ttl`;
  const value = `written by the browser at ${new Date().toISOString()}`;
  const thing = buildThing(createThing({ name: "note" })).addStringNoLocale(NOTE, value).build();
  await saveSolidDatasetAt(target, setThing(createSolidDataset(), thing), { fetch });
  const ds = await getSolidDataset(target, { fetch });
  const read = getStringNoLocale(getThing(ds, `${target}#note`), NOTE);
  if (read !== value) throw new Error(`read back ${JSON.stringify(read)}, wrote ${JSON.stringify(value)}`);
  // Without the session's fetch the resource must be refused (private).
  const anon = await window.fetch(target, { credentials: "omit" });
  return { webId, pod, target, value: read, anonymousStatus: anon.status };
}

async function main() {
  const info = await handleIncomingRedirect({ restorePreviousSession: false });
  const issuer = new URLSearchParams(location.search).get("issuer");
  const button = $("login");
  button.addEventListener("click", async () => {
    button.disabled = true;
    $("status").textContent = "redirecting";
    try {
      await login({ oidcIssuer: issuer, redirectUrl, clientName: "Naamio browser test app" });
    } catch (e) {
      $("status").textContent = "login failed";
      show("error", { stage: "login", error: String(e?.message ?? e) });
    }
  });
  if (!info?.isLoggedIn) {
    $("status").textContent = "logged out";
    button.disabled = !issuer;
    return;
  }
  $("status").textContent = "logged in";
  $("status").dataset.webid = info.webId;
  try {
    show("ok", await exercise(getDefaultSession()));
  } catch (e) {
    show("error", { stage: "write-read", error: String(e?.message ?? e), status: e?.statusCode ?? e?.response?.status });
  }
}

main().catch((e) => {
  $("status").textContent = "error";
  show("error", { stage: "redirect", error: String(e?.message ?? e) });
});
