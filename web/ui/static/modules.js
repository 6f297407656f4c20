// The modules page's script (issue 15 item 2). The server renders what is
// installed; this script makes the writes, every one through solidFetch
// (a DPoP-bound token) to the ordinary Solid API, as the module contract
// says: upload the binary, write the manifest, write the ACLs the owner
// approved. The one server call that is not a Solid request is the plan
// (POST /.web/api/modules/plan, also DPoP): it reads the manifest as the
// server will, checks a binary named by URL, and returns the permissions
// to show and the ACL documents that grant exactly them.
import { solidFetch, ready } from './naamio.js';

const root = document.getElementById('modules');
const status = document.getElementById('install-status');
const form = document.getElementById('install');
const prompt = document.getElementById('prompt');

function say(text, isError) {
  status.textContent = text;
  status.className = isError ? 'error' : 'small';
  if (isError) status.setAttribute('role', 'alert'); else status.setAttribute('role', 'status');
}

function field(name) { return prompt.querySelector(`[data-field="${name}"]`); }

function item(text) {
  const li = document.createElement('li');
  li.textContent = text;
  return li;
}

async function hex(buf) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function reason(res) {
  const text = await res.text();
  try {
    const j = JSON.parse(text);
    if (j && j.error) return j.error;
  } catch (e) { /* not JSON */ }
  return text.trim() || `${res.status} ${res.statusText}`;
}

async function plan(body) {
  const res = await solidFetch(root.dataset.plan, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ pod: root.dataset.pod, ...body }),
  });
  if (!res.ok) throw new Error(await reason(res));
  return res.json();
}

async function must(res, what) {
  if (!res.ok) throw new Error(`${what}: ${await reason(res)}`);
  return res;
}

// applyACLs writes the planned ACL documents (the container first when
// it does not exist yet), each conditional on the version the plan read.
async function applyACLs(p) {
  for (const a of p.acls) {
    if (a.createContainer) {
      const res = await solidFetch(a.container, { method: 'PUT', headers: { 'Content-Type': 'text/turtle', 'If-None-Match': '*' }, body: '' });
      if (!res.ok && res.status !== 412) throw new Error(`creating ${a.container}: ${await reason(res)}`);
    }
    const headers = { 'Content-Type': 'text/turtle' };
    if (a.create) headers['If-None-Match'] = '*'; else headers['If-Match'] = a.etag;
    await must(await solidFetch(a.url, { method: 'PUT', headers, body: a.body }), `writing ${a.url}`);
  }
}

function done(what) {
  const u = new URL(location.href);
  u.searchParams.set('done', what);
  location.assign(u.href);
}

// The pending install: what the prompt asks about.
let pending = null;

function showPrompt(p) {
  field('name').textContent = p.name;
  field('version').textContent = p.version;
  field('agent').textContent = p.agent;
  field('timeout').textContent = String(p.limits.timeoutMs);
  field('memory').textContent = String(p.limits.memoryMiB);
  field('summary').textContent = p.upgrade
    ? 'This upgrade asks for more than the installed version. New rights are marked “new”.'
    : 'The module asks for these rights. Nothing is written until you allow it.';
  const tbody = field('permissions');
  tbody.replaceChildren();
  for (const perm of p.permissions) {
    const tr = document.createElement('tr');
    const c = document.createElement('td');
    const code = document.createElement('code');
    code.textContent = perm.container;
    c.append(code);
    const m = document.createElement('td');
    m.textContent = perm.modes.join(', ') + (p.upgrade && perm.new && perm.new.length ? ` (new: ${perm.new.join(', ')})` : '');
    const w = document.createElement('td');
    w.textContent = perm.why.join('; ');
    tr.append(c, m, w);
    tbody.append(tr);
  }
  if (!p.permissions.length) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 3;
    td.textContent = 'No rights on your data.';
    tr.append(td);
    tbody.append(tr);
  }
  field('hosts').replaceChildren(...p.hosts.map((h) => item(h.host + (p.upgrade && h.new ? ' (new)' : ''))));
  field('hosts-some').hidden = !p.hosts.length;
  field('hosts-none').hidden = !!p.hosts.length;
  const removed = p.removed || [];
  field('removed').replaceChildren(...removed.map((r) => item(`${r.modes.join(', ')} on ${r.container}`)));
  field('removed-some').hidden = !removed.length;
  document.getElementById('approve').textContent = p.upgrade ? 'Allow and upgrade' : 'Allow and install';
  prompt.hidden = false;
  prompt.focus();
  prompt.scrollIntoView({ block: 'start' });
}

async function install() {
  const { p, manifest, wasm } = pending;
  if (wasm) {
    say('Uploading the binary…');
    const url = new URL(p.wasm.url, location.href).href;
    await must(await solidFetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/wasm' }, body: wasm }), 'uploading the binary');
  }
  say('Writing the manifest…');
  await must(await solidFetch(p.manifest, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: manifest }), 'the server refused the manifest');
  say('Granting what you allowed…');
  await applyACLs(p);
  done(p.upgrade ? 'upgraded' : 'installed');
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  prompt.hidden = true;
  pending = null;
  try {
    await ready();
    let m;
    try {
      m = JSON.parse(form.manifest.value);
    } catch (err) {
      throw new Error('The manifest is not JSON: ' + err.message);
    }
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw new Error('The manifest must be a JSON object.');
    const file = form['wasm-file'].files[0];
    const url = form['wasm-url'] ? form['wasm-url'].value.trim() : '';
    let wasm = null;
    if (file) {
      if (typeof m.name !== 'string') throw new Error('The manifest needs a name.');
      say('Computing the binary’s SHA-256…');
      wasm = file;
      m.wasm = { url: m.name + '.wasm', sha256: await hex(await file.arrayBuffer()) };
    } else if (url) {
      m.wasm = { url, sha256: form['wasm-sha256'].value.trim().toLowerCase() };
    }
    const manifest = JSON.stringify(m, null, 2);
    say(url && !file ? 'Fetching and checking the binary…' : 'Reading the manifest…');
    const p = await plan({ manifest });
    pending = { p, manifest, wasm };
    if (p.upgrade && !p.grows) {
      say('This upgrade asks for nothing new: installing…');
      await install();
      return;
    }
    say('');
    showPrompt(p);
  } catch (err) {
    say(err.message, true);
  }
});

form['manifest-file'].addEventListener('change', async () => {
  const f = form['manifest-file'].files[0];
  if (f) form.manifest.value = await f.text();
});

document.getElementById('approve').addEventListener('click', async () => {
  if (!pending) return;
  const btn = document.getElementById('approve');
  btn.disabled = true;
  try {
    await install();
  } catch (err) {
    say(err.message, true);
    btn.disabled = false;
  }
});

document.getElementById('decline').addEventListener('click', () => {
  pending = null;
  prompt.hidden = true;
  say('Nothing was installed.');
  form.querySelector('button[type="submit"]').focus();
});

// readManifest gets a stored manifest as JSON with its ETag.
async function readManifest(iri) {
  const res = await must(await solidFetch(iri, { headers: { Accept: 'application/json' } }), 'reading the manifest');
  return { etag: res.headers.get('ETag'), json: await res.json() };
}

async function setDisabled(iri, off) {
  const { etag, json } = await readManifest(iri);
  if (off) json.disabled = true; else delete json.disabled;
  const headers = { 'Content-Type': 'application/json' };
  if (etag) headers['If-Match'] = etag;
  await must(await solidFetch(iri, { method: 'PUT', headers, body: JSON.stringify(json, null, 2) }), 'the server refused the manifest');
  done(off ? 'disabled' : 'enabled');
}

async function uninstall(iri, name, file) {
  if (!window.confirm(`Uninstall ${name}? It stops at once, and the rights this page gave it are taken away.`)) return;
  const p = await plan({ uninstall: file });
  await must(await solidFetch(iri, { method: 'DELETE' }), 'deleting the manifest');
  // The binary this page uploaded beside the manifest goes too (one named
  // by a URL elsewhere is not ours to delete).
  if (p.wasm.local && p.wasm.url.startsWith(root.dataset.container)) {
    const res = await solidFetch(p.wasm.url, { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`deleting the binary: ${await reason(res)}`);
  }
  await applyACLs(p);
  done('uninstalled');
}

// Sign in through the session first (once; it may leave the page and come
// back), so that nothing typed into the form is lost to a redirect.
try {
  await ready();
} catch (err) {
  say(err.message, true);
  throw err;
}

for (const box of document.querySelectorAll('.module-actions')) {
  box.hidden = false;
  const iri = box.dataset.manifest;
  box.addEventListener('click', async (e) => {
    const btn = e.target.closest('button[data-action]');
    if (!btn) return;
    btn.disabled = true;
    try {
      await ready();
      switch (btn.dataset.action) {
        case 'disable': await setDisabled(iri, true); break;
        case 'enable': await setDisabled(iri, false); break;
        case 'uninstall': await uninstall(iri, box.dataset.name, box.dataset.file); break;
        case 'upgrade': {
          const { json } = await readManifest(iri);
          form.manifest.value = JSON.stringify(json, null, 2);
          form.scrollIntoView({ block: 'start' });
          form['wasm-file'].focus();
          say(`Editing ${box.dataset.name}: choose the new binary, change the version, then review.`);
          break;
        }
      }
    } catch (err) {
      say(err.message, true);
    } finally {
      btn.disabled = false;
    }
  });
}
form.hidden = false;
