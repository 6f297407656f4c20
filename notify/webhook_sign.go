package notify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// How deliveries authenticate, as the reference server's (CSS 7.2
// WebhookEmitter) so receivers written for it work: each POST carries
//
//	Authorization: DPoP <token>
//	DPoP: <proof>
//
// The token is a JWT signed by the server's OpenID Provider with a key of
// its JWKS (Signer), claims iss (the issuer), webid, azp and sub (the
// webhook WebID, WebhookWebIDPath), aud [webid, "solid"], cnf.jkt (the
// proof key's RFC 7638 thumbprint), iat, exp (iat + 20 minutes) and jti.
// The proof is a DPoP proof (RFC 9449 §4.2) with htu = sendTo, htm =
// POST, iat and jti. A receiver verifies them as a Solid resource server
// verifies a request: the WebID names the issuer, whose JWKS verifies the
// token, whose cnf.jkt names the proof's key.
//
// Deviations from the reference server, none of which a receiver written
// for it notices: the token also has client_id (the same WebID) and the
// proof ath (the token's hash, RFC 9449 §4.3), which strict resource
// servers require; and the proof is signed by a key of its own, made at
// start and kept in memory only, where the reference server uses the
// token's signing key, so the provider's key signs nothing but tokens.

// webhookTokenLife is the delivery token's lifetime (the reference
// server's 20 minutes).
const webhookTokenLife = 20 * time.Minute

var es256 = func() jws.Signer {
	s, err := jws.NewSigner(jwa.ES256)
	if err != nil {
		panic("notify: jwx ES256 signer: " + err.Error())
	}
	return s
}()

// proofKey signs the DPoP proofs of deliveries.
type proofKey struct {
	priv *ecdsa.PrivateKey
	pub  jwk.Key
	jkt  string // base64url RFC 7638 thumbprint of pub
}

func newProofKey() (proofKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return proofKey{}, err
	}
	pub, err := jwk.FromRaw(priv.Public())
	if err != nil {
		return proofKey{}, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return proofKey{}, err
	}
	return proofKey{priv: priv, pub: pub, jkt: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// webhookClaims are the delivery token's claims.
type webhookClaims struct {
	Iss   string `json:"iss"`
	WebID string `json:"webid"`
	Azp   string `json:"azp"`
	// ClientID is the webhook WebID too (Solid-OIDC §6.1 lists client_id
	// among an access token's claims; the reference server sends azp only).
	ClientID string            `json:"client_id"`
	Sub      string            `json:"sub"`
	Aud      []string          `json:"aud"`
	Cnf      map[string]string `json:"cnf"`
	IAT      int64             `json:"iat"`
	EXP      int64             `json:"exp"`
	JTI      string            `json:"jti"`
}

// authorize sets the Authorization and DPoP headers of a delivery to
// sendTo, made at now.
func (h *Webhook) authorize(req *http.Request, sendTo string, now time.Time) error {
	webID := h.webID()
	t := now.Unix()
	token, err := h.signer.SignJWT("at+jwt", webhookClaims{
		Iss: h.signer.Issuer(), WebID: webID, Azp: webID, ClientID: webID, Sub: webID,
		Aud: []string{webID, "solid"}, Cnf: map[string]string{"jkt": h.proof.jkt},
		IAT: t, EXP: t + int64(webhookTokenLife/time.Second), JTI: newUUID(),
	})
	if err != nil {
		return err
	}
	ath := sha256.Sum256([]byte(token))
	proof, err := h.proof.sign(map[string]any{"htu": sendTo, "htm": http.MethodPost, "iat": t, "jti": newUUID(),
		"ath": base64.RawURLEncoding.EncodeToString(ath[:])})
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", proof)
	return nil
}

// sign returns claims as a DPoP proof: typ dpop+jwt, the public key in
// the header.
func (k proofKey) sign(claims any) (string, error) {
	hdr, err := json.Marshal(map[string]any{"alg": "ES256", "typ": "dpop+jwt", "jwk": k.pub})
	if err != nil {
		return "", err
	}
	pl, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(pl)
	sig, err := es256.Sign([]byte(input), k.priv)
	if err != nil {
		return "", fmt.Errorf("notify: sign DPoP proof: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// newUUID is a random (version 4) UUID, the form of the reference
// server's jti.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
