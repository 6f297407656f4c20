// share.js: the sharing page's editor. The server rendered the table
// (it works without this script, read only); this script makes its
// controls live and writes each change as a new ACL document with
// solidFetch (a DPoP-authenticated PUT to the ACL's URL, the resource's
// Link rel="acl"), then reloads the page to show what the server now
// says. It refuses changes that would lock the owner or the editor out.
import { ready, solidFetch } from './naamio.js';
import { MODES, addEntry, checkEdit, handlePattern, iri, toTurtle, withOwner } from './share-acl.js';

const root = document.getElementById('share');
if (root) start(root);

async function start(root) {
  const model = JSON.parse(root.dataset.model);
  const status = document.getElementById('share-status');
  const say = (text, error) => {
    status.textContent = text;
    status.className = error ? 'error' : 'notice';
  };
  // A token of this tab for the person the page was rendered for (signing
  // in through the session, and back here, when there is none yet).
  try {
    await ready();
  } catch (err) {
    say(err.message, true);
    return;
  }
  document.querySelectorAll('.js-off').forEach((el) => { el.hidden = true; });

  let busy = false;
  async function save(after) {
    if (busy) return false;
    try {
      checkEdit(model, model.entries, after);
    } catch (err) {
      say(err.message, true);
      return false;
    }
    busy = true;
    say('Saving…');
    try {
      const headers = { 'Content-Type': 'text/turtle' };
      if (model.inherited) headers['If-None-Match'] = '*';
      else if (model.etag) headers['If-Match'] = model.etag;
      const resp = await solidFetch(model.acl, { method: 'PUT', headers, body: toTurtle(model, withOwner(model, after)) });
      if (resp.status === 412) {
        say('Someone changed these settings meanwhile. Reloading them…', true);
        setTimeout(() => location.reload(), 1500);
        return false;
      }
      if (!resp.ok) {
        const text = (await resp.text()).slice(0, 300);
        say(`The server refused the change (${resp.status}): ${text}`, true);
        return false;
      }
      say('Saved.');
      location.reload();
      return true;
    } catch (err) {
      say('Could not save: ' + err.message, true);
      return false;
    } finally {
      busy = false;
    }
  }

  // The table: mode checkboxes and Remove buttons.
  document.querySelectorAll('#share-table tr[data-index]').forEach((tr) => {
    const i = Number(tr.dataset.index);
    tr.querySelectorAll('input.mode').forEach((box) => {
      box.disabled = false;
      box.addEventListener('change', async () => {
        const after = model.entries.map((e) => ({ ...e, modes: [...e.modes] }));
        const e = after[i];
        e.modes = MODES.filter((m) => (m === box.dataset.mode ? box.checked : e.modes.includes(m)));
        if (!(await save(after))) box.checked = !box.checked;
      });
    });
    const rm = tr.querySelector('button.remove');
    rm.hidden = false;
    rm.addEventListener('click', () => {
      const after = model.entries.filter((_, j) => j !== i);
      save(after);
    });
  });

  // The form that adds someone.
  const form = document.getElementById('share-add');
  form.hidden = false;
  const whoInput = form.elements.who;
  const kindChanged = () => {
    const kind = form.elements.kind.value;
    whoInput.disabled = kind === 'public' || kind === 'authenticated';
    whoInput.required = !whoInput.disabled;
  };
  form.querySelectorAll('input[name=kind]').forEach((r) => r.addEventListener('change', kindChanged));
  kindChanged();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const kind = form.elements.kind.value;
    const modes = [...form.querySelectorAll('input[name=mode]:checked')].map((b) => b.value);
    if (modes.length === 0) {
      say('Choose at least one thing they may do.', true);
      return;
    }
    const members = model.container && !!(form.elements.members && form.elements.members.checked);
    let who = '';
    try {
      if (kind === 'agent') who = await person(whoInput.value.trim(), model);
      else if (kind === 'group') who = iri(whoInput.value.trim());
    } catch (err) {
      say(err.message, true);
      whoInput.focus();
      return;
    }
    const e = { kind, modes, self: true, members };
    if (who) e.iri = who;
    await save(addEntry(model.entries, e));
  });
}

// person is the WebID for what was typed: a WebID, or a Fediverse handle
// the server resolves (WebFinger) through its DPoP-authenticated endpoint.
async function person(text, model) {
  if (!text) throw new Error('Type a WebID or a handle like @name@server.');
  const m = handlePattern.exec(text);
  if (!m) return iri(text);
  const resp = await solidFetch(model.resolve + '?handle=' + encodeURIComponent('@' + m[1] + '@' + m[2]),
    { headers: { Accept: 'application/json' } });
  let body = {};
  try {
    body = await resp.json();
  } catch {
    // not JSON: the status says enough
  }
  if (!resp.ok) throw new Error(body.error || `The handle could not be resolved (${resp.status}).`);
  return iri(body.webid);
}
