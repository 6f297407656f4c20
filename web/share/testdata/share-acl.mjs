// Runs web/ui/static/share-acl.js on the cases of share_js_test.go (read
// from stdin as JSON) and prints each outcome as JSON: the Turtle it
// writes, or the error it throws.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const lib = await import(pathToFileURL(process.argv[2]).href);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  try {
    switch (c.op) {
      case 'iri': return { ok: lib.iri(c.text) };
      case 'handle': return { ok: lib.handlePattern.test(c.text) ? 'handle' : '' };
      case 'write': {
        let after = c.after;
        if (c.add) after = lib.addEntry(c.model.entries, c.add);
        if (c.remove !== undefined) after = c.model.entries.filter((_, j) => j !== c.remove);
        lib.checkEdit(c.model, c.model.entries, after);
        return { ok: lib.toTurtle(c.model, lib.withOwner(c.model, after)) };
      }
      default: return { err: 'unknown op' };
    }
  } catch (e) {
    return { err: String(e.message || e) };
  }
});
process.stdout.write(JSON.stringify(out));
