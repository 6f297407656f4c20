package remote

import (
	"encoding/json"
	"testing"
)

// FuzzKeyDocument: whatever JSON a peer serves as an actor, finding a key
// in it neither panics nor attributes a key to anyone but the document.
func FuzzKeyDocument(f *testing.F) {
	k, _ := testKeys(f)
	f.Add(`{"id":"https://p.example/u","publicKey":{"id":"https://p.example/u#main-key","owner":"https://p.example/u","publicKeyPem":` + jsonString(spkiPEM(&k.PublicKey)) + `}}`)
	f.Add(`{"id":"https://p.example/u","publicKey":["x",{"id":"https://p.example/u#main-key","publicKeyPem":7},null]}`)
	f.Add(`{"id":"https://p.example/u","publicKey":{"id":"https://p.example/u#main-key","publicKeyPem":"-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var obj map[string]any
		if json.Unmarshal([]byte(body), &obj) != nil || obj == nil {
			return
		}
		id, _ := obj["id"].(string)
		key, err := listedKey(&Document{ID: id, Object: obj}, "https://p.example/u#main-key")
		if err == nil && (key.Owner != id || key.ID != "https://p.example/u#main-key" || key.Key == nil) {
			t.Fatalf("key %+v from document %q", key, id)
		}
		IsAS2(body)
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
