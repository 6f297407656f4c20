// profile.js: the profile page's editor. The server rendered the page
// (it works without this script, read only); this script writes the name,
// bio and photo with solidFetch: an N3 Patch of the WebID profile that
// deletes the statements it replaces exactly as they were and inserts the
// new ones, and for a photo a PUT of the image (with an ACL of its own
// that lets everyone read it, as the profile is public) before the patch.
import { ready, solidFetch } from './naamio.js';

const FOAF = 'http://xmlns.com/foaf/0.1/';
const VCARD = 'http://www.w3.org/2006/vcard/ns#';
const TYPES = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };
const MAX_PHOTO = 5 << 20;

const root = document.getElementById('profile');
if (root) start(root);

// literal is text as a Turtle string.
export function literal(text) {
  return '"' + text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r') + '"';
}

// iriRef is an absolute URL as a Turtle IRI.
function iriRef(u) {
  const href = new URL(u).href;
  if (/[\u0000-\u0020<>"{}|^`\\]/.test(href)) throw new Error('bad address');
  return '<' + href + '>';
}

// patch is an N3 Patch that deletes the N-Triples del and inserts ins.
export function patch(del, ins) {
  let p = '@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n_:edit a solid:InsertDeletePatch';
  if (del.trim()) p += ';\n  solid:deletes {\n' + del.trim() + '\n  }';
  if (ins.trim()) p += ';\n  solid:inserts {\n' + ins.trim() + '\n  }';
  return p + '.\n';
}

// aclOf is the ACL URL of a response's Link rel="acl" (url + ".acl" when
// the header is not readable).
function aclOf(resp, url) {
  const m = /<([^>]*)>\s*;\s*rel="acl"/.exec(resp.headers.get('Link') || '');
  return m ? new URL(m[1], url).href : url + '.acl';
}

async function start(root) {
  const model = JSON.parse(root.dataset.model);
  const me = iriRef(model.webid);
  const status = document.getElementById('profile-status');
  const say = (text, error) => {
    if (!status) return;
    status.textContent = text;
    status.className = error ? 'error' : 'notice';
  };
  if (!document.getElementById('profile-name')) return; // nothing to edit
  try {
    await ready();
  } catch (err) {
    say(err.message, true);
    return;
  }
  document.querySelectorAll('.js-off').forEach((el) => { el.hidden = true; });

  async function send(body) {
    const resp = await solidFetch(model.doc, { method: 'PATCH', headers: { 'Content-Type': 'text/n3' }, body });
    if (!resp.ok) throw new Error(`the server refused the change (${resp.status}): ${(await resp.text()).slice(0, 300)}`);
  }

  const nameForm = document.getElementById('profile-name');
  if (nameForm) {
    nameForm.hidden = false;
    nameForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const name = nameForm.elements.name.value.trim();
      const note = nameForm.elements.note.value.trim();
      let ins = '';
      if (name) ins += `${me} <${FOAF}name> ${literal(name)}.\n`;
      if (note) ins += `${me} <${VCARD}note> ${literal(note)}.\n`;
      say('Saving…');
      try {
        await send(patch(model.name + model.note, ins));
        say('Saved.');
        location.reload();
      } catch (err) {
        say('Could not save: ' + err.message, true);
      }
    });
  }

  const photoForm = document.getElementById('profile-photo');
  if (photoForm) {
    photoForm.hidden = false;
    photoForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const file = photoForm.elements.photo.files[0];
      if (!file) return;
      const ext = TYPES[file.type];
      if (!ext) {
        say('Choose a PNG, JPEG, GIF or WebP image.', true);
        return;
      }
      if (file.size > MAX_PHOTO) {
        say('The photo is larger than 5 MB.', true);
        return;
      }
      const url = new URL(`profile/photo-${Date.now()}.${ext}`, model.pod).href;
      say('Uploading…');
      try {
        let resp = await solidFetch(url, { method: 'PUT', headers: { 'Content-Type': file.type }, body: file });
        if (!resp.ok) throw new Error(`upload refused (${resp.status})`);
        // The profile is public, so is its photo: an ACL of its own.
        const acl = `@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent ${me}; acl:accessTo ${iriRef(url)}; acl:mode acl:Read, acl:Write, acl:Control.
<#public> a acl:Authorization; acl:agentClass <${FOAF}Agent>; acl:accessTo ${iriRef(url)}; acl:mode acl:Read.
`;
        resp = await solidFetch(aclOf(resp, url), { method: 'PUT', headers: { 'Content-Type': 'text/turtle' }, body: acl });
        if (!resp.ok) throw new Error(`making the photo public was refused (${resp.status})`);
        const ins = `${me} <${VCARD}hasPhoto> ${iriRef(url)}.\n${me} <${FOAF}img> ${iriRef(url)}.\n`;
        await send(patch(model.photo, ins));
        say('Saved.');
        location.reload();
      } catch (err) {
        say('Could not save the photo: ' + err.message, true);
      }
    });
  }
}
