// fediverse.js: the writes of the Fediverse page (web/fedpage). Every
// write is a C2S POST to the owner's outbox (ActivityPub §6) through
// naamio.js's solidFetch (a DPoP-bound token, never the cookie); finding
// an actor by handle asks the page's JSON API, with the same token. After
// a write the page is loaded again (it is rendered by the server) with a
// fixed notice (?done=…).
import { solidFetch, ready } from './naamio.js';

const root = document.getElementById('fed');
const status = document.getElementById('status');
const outbox = root.dataset.outbox;
const pageURL = root.dataset.page;

// Get this tab's token now (a silent round trip through the provider
// when it has none), so that the first click is not lost to a log-in.
ready().catch((e) => say(e.message || String(e), true));

function say(text, error = false) {
  status.textContent = text;
  status.className = error ? 'error' : 'notice';
}

// escapeHTML makes the typed text safe to send as AS2 content (HTML).
function escapeHTML(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// asHTML turns typed text into paragraphs and line breaks.
function asHTML(text) {
  return text.trim().split(/\n{2,}/).map((p) => '<p>' + escapeHTML(p).replace(/\n/g, '<br>') + '</p>').join('');
}

async function post(activity, done, buttons = []) {
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await ready();
    const res = await solidFetch(outbox, {
      method: 'POST',
      headers: { 'Content-Type': 'application/activity+json' },
      body: JSON.stringify(activity),
    });
    if (res.status !== 201) {
      const text = (await res.text()).slice(0, 300);
      throw new Error('The server refused it (' + res.status + '): ' + text);
    }
    location.assign(pageURL + '&done=' + done);
  } catch (e) {
    say(e.message || String(e), true);
    buttons.forEach((b) => { b.disabled = false; });
  }
}

document.getElementById('compose').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const text = f.content.value;
  if (!text.trim()) return;
  const note = { type: 'Note', content: asHTML(text) };
  if (f.audience.value === 'public') {
    note.to = ['https://www.w3.org/ns/activitystreams#Public'];
    note.cc = [root.dataset.followers];
  } else {
    note.to = [root.dataset.followers];
  }
  const replyTo = f.inReplyTo.value;
  const replyActor = f.replyActor.value;
  if (replyTo) {
    note.inReplyTo = replyTo;
    if (replyActor) {
      note.cc = (note.cc || []).concat([replyActor]);
      note.tag = [{ type: 'Mention', href: replyActor }];
    }
  }
  post(note, 'posted', [f.querySelector('button[type=submit]')]);
});

document.getElementById('follow').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const button = f.querySelector('button');
  const handle = f.handle.value.trim();
  if (!handle) return;
  button.disabled = true;
  say('Looking up ' + handle + ' …');
  try {
    await ready();
    const res = await solidFetch(root.dataset.resolve + '&handle=' + encodeURIComponent(handle));
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || ('Lookup failed (' + res.status + ')'));
    say('Found ' + (body.name ? body.name + ' ' : '') + (body.handle || body.id) + '. Sending the follow request …');
    await post({ type: 'Follow', object: body.id }, 'followed', [button]);
  } catch (e) {
    say(e.message || String(e), true);
    button.disabled = false;
  }
});

document.getElementById('settings').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const button = f.querySelector('button');
  button.disabled = true;
  try {
    await ready();
    const res = await solidFetch(f.dataset.settings, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ locked: f.locked.checked }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.error || ('Saving failed (' + res.status + ')'));
    location.assign(pageURL + '&done=saved');
  } catch (e) {
    say(e.message || String(e), true);
    button.disabled = false;
  }
});

// Buttons of the lists: each names what it acts on in data attributes.
root.ownerDocument.addEventListener('click', (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  const d = b.dataset;
  if (b.classList.contains('approve')) post({ type: 'Accept', object: d.follow }, 'accepted', [b]);
  else if (b.classList.contains('reject')) post({ type: 'Reject', object: d.follow }, 'rejected', [b]);
  else if (b.classList.contains('unfollow')) post({ type: 'Undo', object: d.follow }, 'unfollowed', [b]);
  else if (b.classList.contains('like')) post({ type: 'Like', object: d.object }, 'liked', [b]);
  else if (b.classList.contains('boost')) post({ type: 'Announce', object: d.object }, 'boosted', [b]);
  else if (b.classList.contains('delete')) {
    if (window.confirm('Delete this post? Your followers\' servers are asked to delete it too.')) {
      post({ type: 'Delete', object: d.object }, 'deleted', [b]);
    }
  } else if (b.classList.contains('reply')) {
    const f = document.getElementById('compose');
    f.inReplyTo.value = d.object;
    f.replyActor.value = d.actor;
    const link = document.getElementById('replying-link');
    link.href = d.object;
    link.textContent = d.label;
    document.getElementById('replying').hidden = false;
    f.content.focus();
  } else if (b.id === 'reply-cancel') {
    const f = document.getElementById('compose');
    f.inReplyTo.value = '';
    f.replyActor.value = '';
    document.getElementById('replying').hidden = true;
  }
});
