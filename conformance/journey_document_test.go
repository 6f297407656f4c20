package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

var documentSteps = []string{"launch", "login", "statements-table", "syntax-error-on-its-line", "fix-and-save",
	"image-preview", "download-private", "private-audio-preview", "download-public", "phone-width"}

// TestJourneyDocument (issue 15 item 1, documents): a person logs in on the
// server's pages and opens a private Turtle document of their pod in
// headless Chromium: a table of statements and the Turtle are shown; an
// edit with a syntax error on line 3 is refused and the error is shown on
// line 3; the fixed text is saved (checked here, on the server); a private
// image is previewed and downloaded byte for byte, a public text file shown
// and downloaded by its plain link; the page fits a 375 px screen.
func TestJourneyDocument(t *testing.T) {
	s := startIdPServer(t, nil)
	suffix := randomHex()[:8]
	email, podName := "doc-"+suffix+"@example.org", "doc-"+suffix
	acct := accountAPI(t, s, email, podName, true)
	owner := ownerToken(t, s, acct)

	doc := acct.pod + "notes/about.ttl"
	mustStatus(t, owner.do(t, http.MethodPut, doc, []byte(`@prefix foaf: <http://xmlns.com/foaf/0.1/>.
<#me> a foaf:Person; foaf:name "Alice".
`), "Content-Type", "text/turtle"), http.StatusCreated)
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 160, 255})
		}
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pngBuf.Bytes())
	pic := acct.pod + "notes/picture.png"
	mustStatus(t, owner.do(t, http.MethodPut, pic, pngBuf.Bytes(), "Content-Type", "image/png"), http.StatusCreated)
	// A private sound: previewed by the script (solidFetch into a blob: of
	// type audio/wav; only small private images are inlined by the server).
	song := acct.pod + "notes/tone.wav"
	mustStatus(t, owner.do(t, http.MethodPut, song, wavTone(2*time.Second), "Content-Type", "audio/wav"), http.StatusCreated)
	// A public text file: its own ACL lets anyone read it.
	const text = "Shopping list\n- milk\n- <b>bread</b>\n"
	txt := acct.pod + "public-note.txt"
	mustStatus(t, owner.do(t, http.MethodPut, txt, []byte(text), "Content-Type", "text/plain"), http.StatusCreated)
	mustStatus(t, owner.do(t, http.MethodPut, txt+".acl", []byte(`@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>; acl:accessTo <public-note.txt>; acl:mode acl:Read.
<#owner> a acl:Authorization; acl:agent <`+acct.webID+`>; acl:accessTo <public-note.txt>; acl:mode acl:Read, acl:Write, acl:Control.
`), "Content-Type", "text/turtle"), http.StatusCreated)

	runJourney(t, "document", s.base, documentSteps,
		"NAAMIO_EMAIL="+email,
		"NAAMIO_PASSWORD=correct horse battery staple",
		"NAAMIO_DOC_URL="+doc,
		"NAAMIO_IMAGE_URL="+pic,
		"NAAMIO_IMAGE_SHA256="+hex.EncodeToString(sum[:]),
		"NAAMIO_AUDIO_URL="+song,
		"NAAMIO_TEXT_URL="+txt,
		"NAAMIO_TEXT="+text)

	requirement(t, "document-saved-on-server", func(t *testing.T) {
		r := owner.do(t, http.MethodGet, doc, nil, "Accept", "application/n-triples")
		mustStatus(t, r, http.StatusOK)
		for _, want := range []string{
			`<` + doc + `#me> <http://xmlns.com/foaf/0.1/name> "Alice Liddell" .`,
			`<` + doc + `#me> <http://xmlns.com/foaf/0.1/nick> "ally" .`,
		} {
			if !strings.Contains(string(r.body), want) {
				t.Errorf("saved document lacks %s:\n%s", want, r.body)
			}
		}
		if strings.Contains(string(r.body), "oops") {
			t.Errorf("the refused edit was stored:\n%s", r.body)
		}
	})
	if t.Failed() {
		t.Logf("server log:\n%s", s.logTail())
	}
}

// wavTone is d of a 440 Hz tone as 16-bit mono PCM WAV at 44.1 kHz
// (d = 2 s is 176 KB).
func wavTone(d time.Duration) []byte {
	const rate = 44100
	n := int(d.Seconds() * rate)
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("RIFF")
	_ = binary.Write(&b, le, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, le, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, le, uint32(2*n))
	for i := 0; i < n; i++ {
		_ = binary.Write(&b, le, int16(8000*math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	return b.Bytes()
}
