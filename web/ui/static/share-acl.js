// share-acl.js: the sharing page's rules, without the page (so that they
// can be tested alone): turning the table's entries into an ACL document,
// and refusing an edit that would lock the owner or the editor out.

const ACL = 'http://www.w3.org/ns/auth/acl#';
export const MODES = ['Read', 'Append', 'Write', 'Control'];
const MAX_IRI = 2048;

// iri checks that text is an absolute http(s) URL and returns it in the
// form a Turtle IRIREF can hold (characters Turtle forbids are
// percent-encoded); it throws for anything else (javascript:, data:,
// relative references, very long text).
export function iri(text) {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_IRI) {
    throw new Error('not a web address (https://…)');
  }
  let u;
  try {
    u = new URL(text);
  } catch {
    throw new Error('not a web address (https://…)');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new Error('only https:// (or http://) addresses can be given access');
  }
  if (u.username || u.password) {
    throw new Error('an address with a user name or password cannot be given access');
  }
  const href = u.href.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) =>
    '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
  if (href.length > MAX_IRI) throw new Error('the address is too long');
  return href;
}

function modesOf(e) {
  return MODES.filter((m) => e.modes.includes(m));
}

// has reports whether entries give the person webID the mode on the
// resource itself (self) and, for a folder, on what it holds (members),
// by name (acl:agent), not through a group or class.
export function has(entries, webID, mode, container) {
  const mine = entries.filter((e) => e.kind === 'agent' && e.iri === webID && e.modes.includes(mode));
  const self = mine.some((e) => e.self);
  const members = !container || mine.some((e) => e.members);
  return self && members;
}

// checkEdit throws when going from entries before to after would take
// Control away from the owner or from the person editing, when they had
// it by name before. The page never writes such an ACL.
export function checkEdit(model, before, after) {
  for (const [who, label] of [[model.owner, 'the owner of this pod'], [model.editor, 'you']]) {
    if (!who) continue;
    if (has(before, who, 'Control', model.container) && !has(after, who, 'Control', model.container)) {
      throw new Error(`This change would take Control away from ${label}; then nobody could change the sharing back. It was not saved.`);
    }
  }
}

// withOwner is after with the pod's owner holding Control by name (on
// the resource and, for a folder, on what it holds): an ACL that lacked it
// before (written by someone else) gets it back with the next edit, so the
// page never writes an ACL that locks the owner out.
export function withOwner(model, after) {
  if (!model.owner || has(after, model.owner, 'Control', model.container)) return after;
  return addEntry(after, { kind: 'agent', iri: model.owner, modes: ['Read', 'Write', 'Control'], self: true, members: !!model.container });
}

function turtleIRI(text) {
  return '<' + iri(text) + '>';
}

// toTurtle is the ACL document for model with entries: one Authorization
// per entry, then the triples the page keeps as they were (model.keep,
// N-Triples, which is Turtle too).
export function toTurtle(model, entries) {
  const lines = [
    `@prefix acl: <${ACL}>.`,
    '@prefix foaf: <http://xmlns.com/foaf/0.1/>.',
    '',
  ];
  const res = turtleIRI(model.resource);
  const doc = iri(model.acl);
  entries.forEach((e, i) => {
    const modes = modesOf(e);
    if (modes.length === 0 || (!e.self && !e.members)) return;
    let who;
    switch (e.kind) {
      case 'agent': who = 'acl:agent ' + turtleIRI(e.iri); break;
      case 'group': who = 'acl:agentGroup ' + turtleIRI(e.iri); break;
      case 'public': who = 'acl:agentClass foaf:Agent'; break;
      case 'authenticated': who = 'acl:agentClass acl:AuthenticatedAgent'; break;
      default: throw new Error('unknown kind of agent: ' + e.kind);
    }
    const parts = ['a acl:Authorization', who];
    if (e.self) parts.push('acl:accessTo ' + res);
    if (e.members && model.container) parts.push('acl:default ' + res);
    parts.push('acl:mode ' + modes.map((m) => 'acl:' + m).join(', '));
    lines.push(`<${doc}#share-${i + 1}>\n  ` + parts.join(';\n  ') + '.');
  });
  if (model.keep) lines.push('', model.keep.trim());
  return lines.join('\n') + '\n';
}

// addEntry is entries with e added: merged into the entry of the same
// agent and scope when there is one.
export function addEntry(entries, e) {
  const out = entries.map((x) => ({ ...x, modes: [...x.modes] }));
  const same = out.find((x) => x.kind === e.kind && (x.iri || '') === (e.iri || '') &&
    x.self === e.self && x.members === e.members);
  if (same) {
    same.modes = MODES.filter((m) => same.modes.includes(m) || e.modes.includes(m));
  } else {
    out.push({ ...e, modes: MODES.filter((m) => e.modes.includes(m)) });
  }
  return out;
}

// handlePattern matches a Fediverse handle: @name@host or name@host.
export const handlePattern = /^@?([A-Za-z0-9_.~-]{1,64})@([A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?)$/;
