// browse.js: the container page's writes (web/browse container page).
// The page itself is rendered by the server and works without this
// script; the script adds creating folders, uploading files (with
// progress), renaming (moving) and deleting. Every write goes through
// naamio.js to the normal Solid API with this tab's DPoP-bound token:
// WAC decides, and the server's answer is shown as it is.
import { ready, solidFetch, solidUpload } from './naamio.js';

const LDP = 'http://www.w3.org/ns/ldp#';
const NOTICE = 'naamio.notice';

const tools = document.getElementById('tools');
const status = document.getElementById('progress');
const self = tools ? tools.dataset.self : '';
const canWrite = tools ? tools.dataset.write === 'true' : false;

// --- messages ----------------------------------------------------------

function say(text, kind = 'notice') {
  if (!status) return;
  status.replaceChildren();
  const p = document.createElement('p');
  p.className = kind;
  p.textContent = text;
  status.append(p);
}

// done reloads the page (the server renders the new listing) and shows
// text there.
function done(text) {
  sessionStorage.setItem(NOTICE, text);
  location.reload();
}

function showSavedNotice() {
  const n = sessionStorage.getItem(NOTICE);
  if (n) {
    sessionStorage.removeItem(NOTICE);
    say(n);
  }
}

async function problem(res, what) {
  let detail = '';
  try {
    detail = (await res.text()).trim().slice(0, 300);
  } catch (e) { /* none */ }
  const reasons = {
    401: 'you are not logged in any more: reload the page',
    403: 'you are not allowed to do that here',
    404: 'it does not exist (any more)',
    409: 'it conflicts with what is there',
    412: 'something with that name already exists',
    413: 'it is too large for this server',
    507: 'the server is out of space for it',
  };
  const why = reasons[res.status] || `the server answered ${res.status}`;
  return `${what} failed: ${why}.` + (detail && res.status >= 400 && res.status !== 401 ? ` (${detail})` : '');
}

// --- names and URLs ----------------------------------------------------

// checkName returns an error text for a name that cannot be one segment.
function checkName(name) {
  if (!name) return 'Give it a name.';
  if (name.length > 200) return 'That name is too long (at most 200 characters).';
  if (name.includes('/')) return 'A name cannot contain “/”.';
  if (name === '.' || name === '..') return 'That name is not allowed.';
  // The server keeps these endings for a resource's sharing settings and
  // description (auxiliary resources).
  if (/\.(acl|meta)$/i.test(name)) return 'Names ending in .acl or .meta are reserved for sharing settings and descriptions.';
  return '';
}

function childURL(parent, name, folder) {
  return parent + encodeURIComponent(name) + (folder ? '/' : '');
}

function human(n) {
  if (n < 1024) return n + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(1) + ' ' + units[i];
}

// --- dialogs (accessible, no inline code) --------------------------------

// ask shows a modal dialog and resolves to the input's value (prompt), true
// (confirm) or null (cancelled).
function ask({ title, text, input, okText, danger }) {
  return new Promise((resolve) => {
    const d = document.createElement('dialog');
    d.setAttribute('aria-labelledby', 'dlg-title');
    const f = document.createElement('form');
    f.method = 'dialog';
    f.className = 'stack';
    const h = document.createElement('h2');
    h.id = 'dlg-title';
    h.textContent = title;
    f.append(h);
    if (text) {
      const p = document.createElement('p');
      p.textContent = text;
      f.append(p);
    }
    let field = null;
    if (input !== undefined) {
      const l = document.createElement('label');
      l.htmlFor = 'dlg-input';
      l.textContent = 'New name';
      field = document.createElement('input');
      field.id = 'dlg-input';
      field.value = input;
      field.required = true;
      field.maxLength = 200;
      field.autocomplete = 'off';
      field.spellcheck = false;
      f.append(l, field);
    }
    const row = document.createElement('div');
    row.className = 'actions';
    const ok = document.createElement('button');
    ok.type = 'submit';
    ok.value = 'ok';
    ok.textContent = okText;
    if (danger) ok.className = 'danger';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'secondary';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', () => d.close('cancel'));
    row.append(ok, cancel);
    f.append(row);
    d.append(f);
    document.body.append(d);
    d.addEventListener('close', () => {
      const v = d.returnValue === 'ok' ? (field ? field.value.trim() : true) : null;
      d.remove();
      resolve(v);
    });
    d.showModal();
    if (field) {
      field.focus();
      const dot = input.lastIndexOf('.');
      field.setSelectionRange(0, dot > 0 ? dot : input.length);
    } else {
      cancel.focus();
    }
  });
}

// --- reading a container (JSON-LD, as any Solid app would) ------------------

async function listChildren(url) {
  const res = await solidFetch(url, { headers: { Accept: 'application/ld+json' } });
  if (!res.ok) throw new Error(await problem(res, 'Reading ' + url));
  const doc = await res.json();
  const ctx = (doc && typeof doc['@context'] === 'object' && doc['@context']) || {};
  const expand = (s) => {
    if (typeof s !== 'string') return '';
    const i = s.indexOf(':');
    if (i > 0 && !s.startsWith(s.slice(0, i) + '://') && typeof ctx[s.slice(0, i)] === 'string') {
      return ctx[s.slice(0, i)] + s.slice(i + 1);
    }
    return s;
  };
  const nodes = Array.isArray(doc['@graph']) ? doc['@graph'] : [doc];
  const out = [];
  for (const node of nodes) {
    if (!node || new URL(expand(node['@id']), url).href !== url) continue;
    for (const [k, v] of Object.entries(node)) {
      if (expand(k) !== LDP + 'contains') continue;
      for (const o of [].concat(v)) {
        const child = new URL(expand(o && o['@id']), url).href;
        if (child.startsWith(url) && child !== url) out.push(child);
      }
    }
  }
  return out;
}

// aclOf is the URL of a resource's ACL from its Link header, or ''.
function aclOf(res, base) {
  const link = res.headers.get('Link') || '';
  for (const part of link.split(',')) {
    const m = part.match(/<([^>]*)>\s*;\s*rel="?acl"?/);
    if (m) return new URL(m[1], base).href;
  }
  return '';
}

// copyACL copies the ACL of from (if it has its own) to to, with from's
// URL replaced by to's. Best effort: without Control access, sharing set
// on the item itself is not carried over (reported).
async function copyACL(from, to, warnings) {
  const head = await solidFetch(from, { method: 'HEAD' });
  const src = aclOf(head, from);
  if (!src) return;
  const got = await solidFetch(src, { headers: { Accept: 'text/turtle' } });
  if (got.status === 404) return;
  if (!got.ok) {
    warnings.push(`the sharing settings of ${decodeURIComponent(from)} could not be read`);
    return;
  }
  const ttl = (await got.text()).split(from).join(to);
  const dst = aclOf(await solidFetch(to, { method: 'HEAD' }), to);
  const put = dst && await solidFetch(dst, { method: 'PUT', headers: { 'Content-Type': 'text/turtle' }, body: ttl });
  if (!put || !put.ok) warnings.push(`the sharing settings of ${decodeURIComponent(from)} were not carried over`);
}

// --- the writes ------------------------------------------------------------

// A person who may only append here (acl:Append on the folder) adds with
// POST and a Slug (the server picks the final name); one who may write
// puts at the exact name.
async function createFolder(name) {
  const res = canWrite
    ? await solidFetch(childURL(self, name, true), { method: 'PUT', headers: { 'Content-Type': 'text/turtle', 'If-None-Match': '*' }, body: '' })
    : await solidFetch(self, { method: 'POST', body: '', headers: {
      'Content-Type': 'text/turtle', Slug: encodeURIComponent(name), Link: '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' } });
  if (!res.ok) throw new Error(await problem(res, `Creating the folder “${name}”`));
}

async function uploadOne(file, index, count) {
  const bad = checkName(file.name);
  if (bad) throw new Error(`“${file.name}”: ${bad}`);
  const url = childURL(self, file.name, false);
  const bar = document.createElement('progress');
  bar.max = file.size || 1;
  bar.value = 0;
  const label = document.createElement('p');
  const show = (loaded) => {
    const pct = file.size ? Math.floor((loaded / file.size) * 100) : 100;
    label.textContent = `Uploading ${file.name} (${index + 1} of ${count}): ${pct}% — ${human(loaded)} of ${human(file.size)}`;
    bar.value = loaded;
  };
  status.replaceChildren(label, bar);
  show(0);
  const type = file.type || 'application/octet-stream';
  const send = (extra) => solidUpload(url, file, {
    headers: { 'Content-Type': type, ...extra },
    onProgress: show,
  });
  let res = canWrite
    ? await send({ 'If-None-Match': '*' })
    : await solidUpload(self, file, { method: 'POST', onProgress: show, headers: { 'Content-Type': type, Slug: encodeURIComponent(file.name) } });
  if (res.status === 412) {
    const ok = await ask({ title: 'Replace file?', text: `“${file.name}” already exists here. Replace it with the file you chose?`, okText: 'Replace', danger: true });
    if (!ok) return false;
    res = await send({});
  }
  if (!res.ok) throw new Error(await problem(res, `Uploading “${file.name}”`));
  show(file.size);
  return true;
}

async function moveTree(from, to, folder, warnings) {
  if (folder) {
    const made = await solidFetch(to, { method: 'PUT', headers: { 'Content-Type': 'text/turtle', 'If-None-Match': '*' }, body: '' });
    if (!made.ok) throw new Error(await problem(made, 'Creating ' + decodeURIComponent(to)));
    for (const child of await listChildren(from)) {
      const rest = child.slice(from.length);
      await moveTree(child, to + rest, rest.endsWith('/'), warnings);
    }
  } else {
    const got = await solidFetch(from);
    if (!got.ok) throw new Error(await problem(got, 'Reading ' + decodeURIComponent(from)));
    const type = got.headers.get('Content-Type') || 'application/octet-stream';
    const put = await solidFetch(to, { method: 'PUT', headers: { 'Content-Type': type, 'If-None-Match': '*' }, body: await got.blob() });
    if (!put.ok) throw new Error(await problem(put, 'Writing ' + decodeURIComponent(to)));
  }
  await copyACL(from, to, warnings);
  const del = await solidFetch(from, { method: 'DELETE' });
  if (!del.ok) throw new Error(await problem(del, 'Removing the old ' + decodeURIComponent(from)));
}

async function deleteTree(url, folder) {
  if (folder) {
    for (const child of await listChildren(url)) {
      await deleteTree(child, child.endsWith('/'));
    }
  }
  const res = await solidFetch(url, { method: 'DELETE' });
  if (!res.ok && res.status !== 404) throw new Error(await problem(res, 'Deleting ' + decodeURIComponent(url)));
}

// busy disables the page's controls while a write runs.
function busy(on) {
  for (const b of document.querySelectorAll('#tools button, #listing button')) b.disabled = on;
}

async function run(fn) {
  busy(true);
  try {
    await fn();
  } catch (e) {
    say(e.message || String(e), 'error');
  } finally {
    busy(false);
  }
}

function rowActions() {
  if (!canWrite) return;
  for (const tr of document.querySelectorAll('#listing tbody tr')) {
    const cell = tr.querySelector('.row-actions');
    if (!cell) continue;
    const { url, name } = tr.dataset;
    const folder = tr.dataset.folder === 'true';
    const system = tr.dataset.system === 'true';
    const wrap = document.createElement('div');
    wrap.className = 'actions';
    const rename = document.createElement('button');
    rename.type = 'button';
    rename.className = 'secondary';
    rename.textContent = 'Rename';
    rename.setAttribute('aria-label', `Rename ${name}`);
    rename.addEventListener('click', async () => {
      const to = await ask({ title: `Rename “${name}”`, input: name, okText: 'Rename' });
      if (to === null || to === name) return;
      const bad = checkName(to);
      if (bad) return say(bad, 'error');
      run(async () => {
        say(`Moving “${name}” to “${to}”…`);
        const warnings = [];
        await moveTree(url, childURL(self, to, folder), folder, warnings);
        done(`Renamed “${name}” to “${to}”.` + (warnings.length ? ' Note: ' + warnings.join('; ') + '.' : ''));
      });
    });
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'danger';
    del.textContent = 'Delete';
    del.setAttribute('aria-label', `Delete ${name}`);
    del.addEventListener('click', async () => {
      const ok = await ask({
        title: `Delete “${name}”?`,
        text: (system ? 'Your pod uses this folder: deleting it can break your profile, your settings or your apps. ' : '') +
          (folder ? 'The folder and everything in it will be deleted. This cannot be undone.' : 'The file will be deleted. This cannot be undone.'),
        okText: 'Delete', danger: true,
      });
      if (!ok) return;
      run(async () => {
        say(`Deleting “${name}”…`);
        await deleteTree(url, folder);
        done(`Deleted “${name}”.`);
      });
    });
    if (system) wrap.append(del);
    else wrap.append(rename, del);
    cell.append(wrap);
  }
}

function forms() {
  const nf = document.getElementById('new-folder');
  if (nf) {
    nf.addEventListener('submit', (e) => {
      e.preventDefault();
      const name = nf.elements.name.value.trim();
      const bad = checkName(name);
      if (bad) return say(bad, 'error');
      run(async () => {
        await createFolder(name);
        done(`Created the folder “${name}”.`);
      });
    });
  }
  const up = document.getElementById('upload');
  if (up) {
    up.addEventListener('submit', (e) => {
      e.preventDefault();
      const files = Array.from(up.elements.files.files);
      if (!files.length) return say('Choose one or more files first.', 'error');
      run(async () => {
        let n = 0;
        for (let i = 0; i < files.length; i++) {
          if (await uploadOne(files[i], i, files.length)) n++;
        }
        done(n === 1 ? `Uploaded “${files[0].name}”.` : `Uploaded ${n} files.`);
      });
    });
  }
}

if (tools) {
  showSavedNotice();
  forms();
  rowActions();
  ready().catch((e) => say(e.message, 'error'));
}
