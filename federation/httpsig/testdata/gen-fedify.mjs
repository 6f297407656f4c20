// Writes fedify-1.8.8-signed.json: requests signed by real Fedify 1.8.8 (RFC 9421 and
// draft-cavage), which the Go tests verify. Run with Node >= 22 from a directory where
// `npm install @fedify/fedify@1.8.8 @js-temporal/polyfill` was run:
//   node gen-fedify.mjs > fedify-1.8.8-signed.json
import { signRequest, generateCryptoKeyPair, exportSpki } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";

const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const pem = await exportSpki(publicKey);
const keyId = new URL("https://peer.example/users/bob#main-key");
const t = Temporal.Instant.from("2026-12-07T07:00:00Z");
const body = JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: "https://peer.example/activities/1", type: "Like", actor: "https://peer.example/users/bob", object: "https://naamio.example/.ap/actors/alice/objects/1" });
const out = { publicKeyPem: pem, keyId: keyId.href, owner: "https://peer.example/users/bob", now: t.epochMilliseconds / 1000, requests: [] };
for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"]) {
  for (const [method, url, b] of [["POST", "https://naamio.example/alice/inbox/", body], ["GET", "https://naamio.example/.ap/actors/alice?page=1", null]]) {
    const req = new Request(url, { method, headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" }, body: b });
    const signed = await signRequest(req, privateKey, keyId, { spec, currentTime: t });
    const headers = {};
    for (const [k, v] of signed.headers) headers[k] = v;
    out.requests.push({ spec, method, url, headers, body: b ?? "" });
  }
}
console.log(JSON.stringify(out, null, 1));
