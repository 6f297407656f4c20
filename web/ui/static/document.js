// document.js: the document page's writes and private loads (issue 15
// item 1). The page is rendered by the server and shows everything without
// this script; the script adds, through naamio.js (a DPoP-bound token,
// never the cookie):
//
//   - saving the Turtle editor: PUT with If-Match; a 400 is read as a
//     problem document (Accept: application/problem+json) and shown on the
//     line it concerns (the gutter marks it, the line is selected);
//   - previews of private media: fetched with solidFetch into a blob: URL
//     of an allow-listed image/audio/video type, given to <img>, <audio> or
//     <video>, which never run scripts;
//   - downloads of private files: fetched the same way into a blob whose
//     type is application/octet-stream, so the browser saves it and never
//     renders it (a blob: URL has this page's origin). Public files are
//     downloaded by the plain link (a download request is not a
//     navigation the server answers with a page).
import { ready, solidFetch } from './naamio.js';

const SAVED = 'naamio.saved';

// sure makes sure, once per page, that this tab holds a token for the
// page's WebID (naamio.js ready(): it may sign in through the session and
// come back here, so it runs at load, before anything is typed).
let readyP = null;
const sure = () => (readyP ??= ready());

function status(el, text, kind) {
  el.textContent = text;
  el.className = kind || '';
}

// --- the Turtle editor --------------------------------------------------

function lineCount(text) {
  return text.split('\n').length;
}

function drawGutter(gutter, n, bad) {
  gutter.textContent = '';
  for (let i = 1; i <= n; i++) {
    const s = document.createElement(i === bad ? 'mark' : 'span');
    s.textContent = String(i);
    s.dataset.line = String(i);
    gutter.append(s, '\n');
  }
}

// selectLine selects line n (1-based) of the textarea and scrolls to it.
function selectLine(ta, n) {
  const lines = ta.value.split('\n');
  let start = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[n - 1] || '').length;
  ta.focus();
  ta.setSelectionRange(start, end);
  const lh = parseFloat(getComputedStyle(ta).lineHeight) || 20;
  ta.scrollTop = Math.max(0, (n - 3) * lh);
}

function editor(form) {
  const ta = form.querySelector('#turtle');
  const gutter = form.querySelector('#gutter');
  const out = form.querySelector('#edit-status');
  const save = form.querySelector('#save');
  let etag = form.dataset.etag;
  let bad = 0;
  const redraw = () => drawGutter(gutter, lineCount(ta.value), bad);
  redraw();
  ta.addEventListener('input', () => {
    if (bad) { bad = 0; ta.removeAttribute('aria-invalid'); status(out, ''); }
    redraw();
  });
  ta.addEventListener('scroll', () => { gutter.scrollTop = ta.scrollTop; });
  form.addEventListener('reset', () => setTimeout(() => { bad = 0; ta.removeAttribute('aria-invalid'); status(out, ''); redraw(); }));
  if (sessionStorage.getItem(SAVED) === form.dataset.url) {
    sessionStorage.removeItem(SAVED);
    status(out, 'Saved.', 'notice');
  }
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    save.disabled = true;
    status(out, 'Saving…');
    try {
      await sure();
      const res = await solidFetch(form.dataset.url, {
        method: 'PUT',
        headers: { 'Content-Type': 'text/turtle', 'If-Match': etag, Accept: 'application/problem+json' },
        body: ta.value,
      });
      if (res.ok) {
        etag = res.headers.get('ETag') || etag;
        sessionStorage.setItem(SAVED, form.dataset.url);
        location.reload(); // the table and the Turtle are the server's, as saved
        return;
      }
      const p = await res.json().catch(() => ({}));
      if (res.status === 412) {
        status(out, 'Someone changed this document since you opened it. Copy your text, reload the page and apply it again.', 'error');
      } else if (p.line) {
        bad = p.line;
        redraw();
        ta.setAttribute('aria-invalid', 'true');
        const where = `Line ${p.line}` + (p.column ? `, column ${p.column}` : '');
        status(out, `Not saved. ${where}: ${(p.detail || 'syntax error').replace(/^syntax error: line \d+ col \d+: /, '')}`, 'error');
        out.dataset.line = String(p.line);
        selectLine(ta, p.line);
      } else {
        status(out, `Not saved: ${p.detail || p.title || res.statusText || res.status}`, 'error');
      }
    } catch (err) {
      status(out, `Not saved: ${err.message}`, 'error');
    } finally {
      save.disabled = false;
    }
  });
}

// --- private media and downloads ----------------------------------------

const MEDIA = /^(image\/(png|jpeg|gif|webp|avif|svg\+xml|bmp|x-icon|vnd\.microsoft\.icon)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

async function fetchBlob(url, type) {
  await sure();
  const res = await solidFetch(url, { headers: { Accept: '*/*' } });
  if (!res.ok) throw new Error(`the server answered ${res.status}`);
  return new Blob([await res.arrayBuffer()], { type });
}

async function privateMedia(el, out) {
  const type = el.dataset.type || '';
  if (!MEDIA.test(type)) return;
  try {
    el.src = URL.createObjectURL(await fetchBlob(el.dataset.privateSrc, type));
  } catch (err) {
    status(out, `The preview could not be loaded: ${err.message}`, 'error');
  }
}

function saveBlob(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name || 'download';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

function privateDownload(link, out) {
  link.addEventListener('click', async (e) => {
    e.preventDefault();
    status(out, 'Downloading…');
    try {
      saveBlob(await fetchBlob(link.dataset.url, 'application/octet-stream'), link.dataset.name);
      status(out, '');
    } catch (err) {
      status(out, `The download failed: ${err.message}`, 'error');
    }
  });
}

// A private PDF opens from a blob: URL whose type is forced to
// application/pdf: the browser's PDF viewer shows it; it never becomes a
// page of this origin.
function privatePDF(link, out) {
  link.addEventListener('click', async (e) => {
    e.preventDefault();
    try {
      const blob = await fetchBlob(link.dataset.url, 'application/pdf');
      window.open(URL.createObjectURL(blob), '_blank', 'noopener');
    } catch (err) {
      status(out, `The PDF could not be opened: ${err.message}`, 'error');
    }
  });
}

const out = document.getElementById('doc-status');
const form = document.getElementById('edit');
sure().catch((err) => status(out, err.message, 'error'));
if (form) editor(form);
for (const el of document.querySelectorAll('[data-private-src]')) privateMedia(el, out);
const dl = document.querySelector('#download[data-private]');
if (dl) privateDownload(dl, out);
const pdf = document.querySelector('#open-pdf[data-private]');
if (pdf) privatePDF(pdf, out);
