// An example Naamio module (a validator, in AssemblyScript): it refuses a
// document that describes a schema:Event without a schema:startDate.
//
// The host gives a validator the proposed write as JSON, with the whole
// document as N-Triples in "body":
//
//   {"type":"Create","object":"https://pod.example/alice/events/a.ttl",
//    "target":"https://pod.example/alice/events/", "contentType":"text/turtle",
//    "published":"…","actor":"https://pod.example/alice/profile/card#me",
//    "body":"<https://pod.example/alice/events/a.ttl#it> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Event> .\n"}
//
// and the validator answers {"allow": true} or {"allow": false, "reason": "…"}
// (the reason is what the writer reads in the 422 response). Both
// http://schema.org/ and https://schema.org/ are understood. Subclasses of
// schema:Event (schema:MusicEvent, …) are not: this module reads the
// document, it does not reason over the schema.org vocabulary.
//
// Build (see package.json): npm ci && npm run build

import { Host, LogLevel } from "@extism/as-pdk";

const RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";

function isEventClass(term: string): bool {
  return term == "<http://schema.org/Event>" || term == "<https://schema.org/Event>";
}

function isStartDate(term: string): bool {
  return term == "<http://schema.org/startDate>" || term == "<https://schema.org/startDate>";
}

// The validator export: () -> i32, as every Extism plugin function.
export function validate(): i32 {
  const input = Host.inputString();
  const body = jsonStringField(input, "body");
  if (body == null) {
    Host.outputString('{"allow":false,"reason":"event-validator: the input has no N-Triples body"}');
    return 0;
  }
  const events = new Set<string>();
  const started = new Set<string>();
  const order = new Array<string>();
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = triple(lines[i]);
    if (t == null) continue;
    if (t[1] == RDF_TYPE && isEventClass(t[2]) && !events.has(t[0])) {
      events.add(t[0]);
      order.push(t[0]);
    }
    if (isStartDate(t[1])) started.add(t[0]);
  }
  const missing = new Array<string>();
  for (let i = 0; i < order.length; i++) {
    if (!started.has(order[i])) missing.push(order[i]);
  }
  if (missing.length == 0) {
    Host.outputString('{"allow":true}');
    return 0;
  }
  const reason = "a schema:Event needs a schema:startDate; " + missing.join(", ") +
    (missing.length == 1 ? " has none" : " have none");
  Host.outputString('{"allow":false,"reason":' + jsonQuote(reason) + "}");
  return 0;
}

// triple splits one line of N-Triples into its subject, predicate and
// object terms as written, or returns null for a line that holds none
// (blank, a comment). Subjects and predicates are IRIs or blank nodes and
// hold no spaces; the object runs to the final " .".
function triple(line: string): string[] | null {
  line = line.trim();
  if (line.length == 0 || line.charAt(0) == "#" || !line.endsWith(".")) return null;
  const a = line.indexOf(" ");
  if (a < 0) return null;
  const rest = line.substring(a + 1).trimStart();
  const b = rest.indexOf(" ");
  if (b < 0) return null;
  const o = rest.substring(b + 1, rest.length - 1).trim();
  if (o.length == 0) return null;
  return [line.substring(0, a), rest.substring(0, b), o];
}

// jsonStringField returns the string value of key in the top-level JSON
// object src, or null when it is absent or not a string.
function jsonStringField(src: string, key: string): string | null {
  let i = skipSpace(src, 0);
  if (i >= src.length || src.charAt(i) != "{") return null;
  i = skipSpace(src, i + 1);
  while (i < src.length && src.charAt(i) == '"') {
    const k = readString(src, i);
    if (k.end < 0) return null;
    i = skipSpace(src, k.end);
    if (i >= src.length || src.charAt(i) != ":") return null;
    i = skipSpace(src, i + 1);
    if (i < src.length && src.charAt(i) == '"') {
      const v = readString(src, i);
      if (v.end < 0) return null;
      if (k.value == key) return v.value;
      i = v.end;
    } else {
      if (k.value == key) return null;
      i = skipValue(src, i);
      if (i < 0) return null;
    }
    i = skipSpace(src, i);
    if (i < src.length && src.charAt(i) == ",") i = skipSpace(src, i + 1);
  }
  return null;
}

class Str {
  constructor(public value: string, public end: i32) {}
}

// readString decodes the JSON string starting at src[at] == '"'; end is
// the index after its closing quote, or -1 when it is not a string.
function readString(src: string, at: i32): Str {
  let out = "";
  let i = at + 1;
  let start = i;
  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (c == 0x22) {
      return new Str(out + src.substring(start, i), i + 1);
    }
    if (c != 0x5c) {
      i++;
      continue;
    }
    out += src.substring(start, i);
    if (i + 1 >= src.length) break;
    const e = src.charAt(i + 1);
    if (e == "u") {
      if (i + 6 > src.length) break;
      const code = I32.parseInt(src.substring(i + 2, i + 6), 16);
      out += String.fromCharCode(code);
      i += 6;
    } else {
      if (e == "n") out += "\n";
      else if (e == "t") out += "\t";
      else if (e == "r") out += "\r";
      else if (e == "b") out += "\b";
      else if (e == "f") out += "\f";
      else out += e; // \" \\ \/
      i += 2;
    }
    start = i;
  }
  return new Str("", -1);
}

// skipValue returns the index after the JSON value (not a string) that
// starts at src[at]: a number, true, false, null, or a nested object or
// array; -1 when it is cut short.
function skipValue(src: string, at: i32): i32 {
  let depth = 0;
  let i = at;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c == '"') {
      const s = readString(src, i);
      if (s.end < 0) return -1;
      i = s.end;
      continue;
    }
    if (c == "{" || c == "[") depth++;
    else if (c == "}" || c == "]") {
      if (depth == 0) return i;
      depth--;
      if (depth == 0) return i + 1;
    } else if (c == "," && depth == 0) return i;
    i++;
  }
  return depth == 0 ? i : -1;
}

function skipSpace(src: string, i: i32): i32 {
  while (i < src.length) {
    const c = src.charAt(i);
    if (c != " " && c != "\t" && c != "\n" && c != "\r") break;
    i++;
  }
  return i;
}

// jsonQuote writes s as a JSON string.
function jsonQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s.charAt(i);
  }
  return out + '"';
}

// abort replaces AssemblyScript's default (an import from "env", which a
// Naamio module may not have): the message goes to the module's log and
// the call traps, so the write it was validating is refused with 503.
function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  Host.log(
    LogLevel.Error,
    "abort: " + (message == null ? "" : message) + " at " + (fileName == null ? "?" : fileName) +
      ":" + line.toString() + ":" + column.toString(),
  );
  unreachable();
}
