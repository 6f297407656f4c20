// naamio.js: the pages' own Solid client, a hand-written ES module.
//
// The pages have no build step (the binary serves these files as they
// are), and the published Solid browser clients need a bundler, so this
// small client does what the pages need with the browser's own APIs:
//
//   - login(returnTo): Solid-OIDC authorization code flow with PKCE (S256)
//     against this server's own provider, as the pages' first-party client
//     (<base>/.web/client.jsonld, which the provider knows built in and
//     shows no consent screen for), redirecting back through
//     <base>/.web/callback (callback.js) to returnTo. While the person's
//     session lives, the round trip shows no page at all.
//   - solidFetch(url, init): fetch with a DPoP-bound access token
//     (Authorization: DPoP + a DPoP proof per request, RFC 9449).
//   - solidUpload(url, body, opts): the same for large bodies through
//     XMLHttpRequest, whose upload progress events fetch() lacks.
//
// The DPoP key is a WebCrypto ECDSA P-256 key pair generated with
// extractable=false and kept in IndexedDB: scripts can sign with it but
// nobody can read the private key out. Tokens live in sessionStorage
// (this tab only, gone when it closes). The access token is renewed
// silently with its refresh token, which the provider binds to the same
// DPoP key; when that fails, login() goes through the session again.
//
// Every write a page makes goes through this module to the normal Solid
// API; the server never accepts a write authenticated by the cookie.

const TOKEN = 'naamio.token';
const PENDING = 'naamio.login';
const BOUNCE = 'naamio.bounce';
const SCOPE = 'openid webid offline_access';

function meta(name) {
  const m = document.querySelector(`meta[name="${name}"]`);
  return m ? m.content : '';
}

// The server's base URL (with its trailing slash) and the provider.
export const base = new URL(meta('naamio-base') || '/', location.href).href;
const issuer = base.replace(/\/$/, '');
const clientID = meta('naamio-client') || base + '.web/client.jsonld';
const redirectURI = base + '.web/callback';

const enc = new TextEncoder();

// A page of ours rendered for nobody (after log-out) drops this tab's
// token; the server revoked it at log-out anyway.
if (meta('naamio-base') && !meta('naamio-webid')) sessionStorage.removeItem(TOKEN);

function b64url(bytes) {
  let s = '';
  const b = new Uint8Array(bytes);
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(n) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function sha256(text) {
  return b64url(await crypto.subtle.digest('SHA-256', enc.encode(text)));
}

// --- the DPoP key, in IndexedDB ---------------------------------------

function openDB() {
  return new Promise((resolve, reject) => {
    const q = indexedDB.open('naamio', 1);
    q.onupgradeneeded = () => q.result.createObjectStore('keys');
    q.onsuccess = () => resolve(q.result);
    q.onerror = () => reject(q.error);
  });
}

function idb(mode, fn) {
  return openDB().then((db) => new Promise((resolve, reject) => {
    const tx = db.transaction('keys', mode);
    const q = fn(tx.objectStore('keys'));
    tx.oncomplete = () => { db.close(); resolve(q.result); };
    tx.onerror = () => { db.close(); reject(tx.error); };
    tx.onabort = () => { db.close(); reject(tx.error); };
  }));
}

let keyPromise = null;

// dpopKey returns {privateKey, jwk}: the stored key pair, made on first
// use. add (not put) keeps the first key when two tabs race.
function dpopKey() {
  keyPromise ??= (async () => {
    let kp = await idb('readonly', (s) => s.get('dpop'));
    if (!kp) {
      const made = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      try {
        await idb('readwrite', (s) => s.add(made, 'dpop'));
      } catch (e) {
        // Another tab stored its key first: use that one.
      }
      kp = await idb('readonly', (s) => s.get('dpop'));
    }
    const pub = await crypto.subtle.exportKey('jwk', kp.publicKey);
    return { privateKey: kp.privateKey, jwk: { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y } };
  })();
  keyPromise.catch(() => { keyPromise = null; });
  return keyPromise;
}

function b64json(v) {
  return b64url(enc.encode(JSON.stringify(v)));
}

// proof is a DPoP proof for method and url (RFC 9449 §4.2); with an access
// token it carries the token's hash (ath).
async function proof(method, url, accessToken, nonce) {
  const { privateKey, jwk } = await dpopKey();
  const u = new URL(url, location.href);
  const payload = { jti: crypto.randomUUID(), htm: method.toUpperCase(), htu: u.origin + u.pathname, iat: Math.floor(Date.now() / 1000) };
  if (accessToken) payload.ath = await sha256(accessToken);
  if (nonce) payload.nonce = nonce;
  const input = b64json({ alg: 'ES256', typ: 'dpop+jwt', jwk }) + '.' + b64json(payload);
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, enc.encode(input));
  return input + '.' + b64url(sig);
}

// --- the provider -----------------------------------------------------

let config = null;

async function discovery() {
  config ??= fetch(issuer + '/.well-known/openid-configuration', { credentials: 'omit' }).then((r) => {
    if (!r.ok) throw new Error('the sign-in service is not available (' + r.status + ')');
    return r.json();
  });
  config.catch(() => { config = null; });
  return config;
}

async function tokenRequest(params) {
  const cfg = await discovery();
  const body = new URLSearchParams({ client_id: clientID, ...params });
  let nonce = '';
  for (let i = 0; i < 2; i++) {
    const res = await fetch(cfg.token_endpoint, {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', DPoP: await proof('POST', cfg.token_endpoint, '', nonce) },
      body,
    });
    const j = await res.json().catch(() => ({}));
    if (res.ok) return j;
    nonce = res.headers.get('DPoP-Nonce') || '';
    if (j.error !== 'use_dpop_nonce' || !nonce) {
      const e = new Error(j.error_description || j.error || 'token request failed (' + res.status + ')');
      e.code = j.error;
      throw e;
    }
  }
  throw new Error('token request failed');
}

function webIDOf(idToken) {
  try {
    const p = JSON.parse(atob(idToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return p.webid || p.sub || '';
  } catch (e) {
    return '';
  }
}

function store(j, old) {
  const t = {
    access: j.access_token,
    refresh: j.refresh_token || (old && old.refresh) || '',
    exp: Date.now() + (Number(j.expires_in) || 300) * 1000,
    webid: j.id_token ? webIDOf(j.id_token) : (old && old.webid) || '',
  };
  sessionStorage.setItem(TOKEN, JSON.stringify(t));
  return t;
}

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKEN) || 'null');
  } catch (e) {
    return null;
  }
}

let refreshing = null;

// refresh renews the access token with the refresh token; null when that
// is not possible (no refresh token, or the grant ended).
function refresh(t) {
  refreshing ??= (async () => {
    if (!t || !t.refresh) return null;
    try {
      return store(await tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh }), t);
    } catch (e) {
      sessionStorage.removeItem(TOKEN);
      return null;
    }
  })().finally(() => { refreshing = null; });
  return refreshing;
}

// token returns a usable token of this tab, renewing it when it is about
// to expire, or null.
async function token() {
  const t = load();
  if (!t || !t.access) return null;
  if (Date.now() < t.exp - 60000) return t;
  return refresh(t);
}

// sameOrigin keeps returnTo on this origin (no open redirect).
function sameOrigin(u) {
  try {
    const v = new URL(u, location.href);
    if (v.origin === location.origin) return v.href;
  } catch (e) { /* fall through */ }
  return base;
}

// login starts a sign-in that comes back to returnTo (default: this page).
// It leaves the page, so the promise it returns never settles.
export async function login(returnTo = location.href) {
  const cfg = await discovery();
  const verifier = random(32);
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, returnTo: sameOrigin(returnTo) }));
  const u = new URL(cfg.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: 'code', client_id: clientID, redirect_uri: redirectURI, scope: SCOPE, state,
    code_challenge: await sha256(verifier), code_challenge_method: 'S256',
  }).toString();
  location.assign(u.href);
  return new Promise(() => {});
}

// finishLogin completes the sign-in on the callback page and returns the
// page to go back to. It throws when the answer is not for this tab's
// sign-in or the provider refused.
export async function finishLogin(search = location.search) {
  const q = new URLSearchParams(search);
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  } catch (e) { /* none */ }
  sessionStorage.removeItem(PENDING);
  if (!pending || !q.get('state') || q.get('state') !== pending.state) {
    throw new Error('This sign-in was not started in this tab, or was already used.');
  }
  if (q.get('error')) {
    throw new Error('Sign-in refused: ' + q.get('error'));
  }
  const j = await tokenRequest({ grant_type: 'authorization_code', code: q.get('code') || '', redirect_uri: redirectURI, code_verifier: pending.verifier });
  store(j, null);
  return sameOrigin(pending.returnTo);
}

// session returns {webid} of this tab's token, or null when it has none.
export async function session() {
  const t = await token();
  return t ? { webid: t.webid } : null;
}

// ready makes sure this tab holds a token for the WebID the page was
// rendered for (its naamio-webid meta), signing in through the session
// when it does not (once: a second attempt within a minute throws instead
// of looping). It resolves to the WebID, or "" on a page for an anonymous
// visitor.
export async function ready() {
  const want = meta('naamio-webid');
  if (!want) return '';
  const t = await token();
  if (t && (!t.webid || t.webid === want)) return want;
  const last = Number(sessionStorage.getItem(BOUNCE) || 0);
  if (Date.now() - last < 60000) throw new Error('Could not sign in to make changes. Reload the page to try again.');
  sessionStorage.setItem(BOUNCE, String(Date.now()));
  sessionStorage.removeItem(TOKEN);
  return login(location.href);
}

// authorized returns the headers of a request as this tab's person. On a
// page rendered for nobody (an anonymous visitor of a folder anyone may
// append to) requests go out anonymous: no token, no sign-in.
async function authorized(method, url) {
  if (meta('naamio-base') && !meta('naamio-webid')) return { t: null, headers: {} };
  let t = await token();
  if (!t) t = await login(location.href);
  return { t, headers: { Authorization: 'DPoP ' + t.access, DPoP: await proof(method, url, t.access) } };
}

function resendable(body) {
  return body == null || typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) || body instanceof URLSearchParams || body instanceof FormData;
}

// solidFetch is fetch with this tab's DPoP-bound token. A 401 renews the
// token once and retries (when the body can be sent again). With no token
// at all it signs in (leaving the page); on a page rendered for nobody it
// sends the request anonymous.
export async function solidFetch(url, init = {}) {
  const href = new URL(url, location.href).href;
  const method = (init.method || 'GET').toUpperCase();
  const send = async () => {
    const { t, headers } = await authorized(method, href);
    const h = new Headers(init.headers || {});
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    return { t, res: await fetch(href, { ...init, method, headers: h, credentials: 'omit' }) };
  };
  const { t, res } = await send();
  if (t && res.status === 401 && resendable(init.body) && await refresh(t)) {
    return (await send()).res;
  }
  return res;
}

function parseHeaders(raw) {
  const h = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const i = line.indexOf(':');
    if (i > 0) {
      try { h.append(line.slice(0, i).trim(), line.slice(i + 1).trim()); } catch (e) { /* skip */ }
    }
  }
  return h;
}

// solidUpload sends body (a File or Blob, streamed from disk by the
// browser) with this tab's token and reports progress:
// opts.method (default PUT), opts.headers, opts.onProgress(loaded, total),
// opts.signal (AbortSignal). It resolves to a Response.
export async function solidUpload(url, body, opts = {}) {
  const href = new URL(url, location.href).href;
  const method = (opts.method || 'PUT').toUpperCase();
  const { headers } = await authorized(method, href);
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open(method, href);
    const all = { ...(opts.headers || {}), ...headers };
    for (const [k, v] of Object.entries(all)) x.setRequestHeader(k, v);
    if (opts.onProgress) {
      x.upload.onprogress = (e) => opts.onProgress(e.loaded, e.lengthComputable ? e.total : (body.size || 0));
    }
    x.onload = () => {
      const nobody = x.status === 204 || x.status === 205 || x.status === 304;
      resolve(new Response(nobody ? null : x.response, { status: x.status, statusText: x.statusText, headers: parseHeaders(x.getAllResponseHeaders()) }));
    };
    x.onerror = () => reject(new Error('The upload failed: network error.'));
    x.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    if (opts.signal) opts.signal.addEventListener('abort', () => x.abort());
    x.send(body);
  });
}
