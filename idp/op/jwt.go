package op

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// es256 signs every token the provider issues.
var es256 = func() jws.Signer {
	s, err := jws.NewSigner(jwa.ES256)
	if err != nil {
		panic("op: jwx ES256 signer: " + err.Error())
	}
	return s
}()

// accessClaims are the claims of a Solid-OIDC access token (Solid-OIDC §6,
// RFC 9068, RFC 9449 §6 cnf.jkt).
type accessClaims struct {
	Iss      string   `json:"iss"`
	Sub      string   `json:"sub"`
	WebID    string   `json:"webid"`
	ClientID string   `json:"client_id"`
	Aud      []string `json:"aud"`
	Cnf      cnf      `json:"cnf"`
	IAT      int64    `json:"iat"`
	EXP      int64    `json:"exp"`
	JTI      string   `json:"jti"`
	Scope    string   `json:"scope"`
}

type cnf struct {
	JKT string `json:"jkt"`
}

// idClaims are the claims of an ID token (OpenID Connect Core §2,
// Solid-OIDC §5 webid).
type idClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	Azp      string `json:"azp"`
	WebID    string `json:"webid"`
	IAT      int64  `json:"iat"`
	EXP      int64  `json:"exp"`
	AuthTime int64  `json:"auth_time,omitempty"`
	Nonce    string `json:"nonce,omitempty"`
	JTI      string `json:"jti"`
}

// sign returns a compact JWS of claims signed ES256 with the active key.
func (p *Provider) sign(typ string, claims any) (string, error) {
	ring := p.keys.Load()
	hdr, err := json.Marshal(map[string]string{"alg": "ES256", "typ": typ, "kid": ring.active.kid})
	if err != nil {
		return "", err
	}
	pl, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(pl)
	sig, err := es256.Sign([]byte(input), ring.active.priv)
	if err != nil {
		return "", fmt.Errorf("op: sign token: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// SignJWT returns claims as a compact JWS signed ES256 with the active key
// of the published JWKS, header typ as given. It is for the server's own
// tokens outside the OAuth flows: the DPoP-bound access tokens with which
// webhook notifications are delivered (notify.Signer), which receivers
// verify against this JWKS.
func (p *Provider) SignJWT(typ string, claims any) (string, error) { return p.sign(typ, claims) }
