package fedpage

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// maxTextRunes bounds the text kept of one post.
const maxTextRunes = 5000

// Paragraph is one paragraph of a post's text, as lines.
type Paragraph []string

// Text turns a post's HTML content (what peers send in AS2 "content")
// into plain text for people: text nodes with their entities decoded;
// <p>, <div>, <li>, <blockquote>, headings and <pre> end a paragraph;
// <br> ends a line; the content of <script>, <style>, <template>,
// <iframe>, <object>, <svg> and <math> is dropped; every other tag is
// dropped and its text kept (a link becomes its text). Controls and
// bidirectional overrides go; at most maxTextRunes runes are kept. The
// result is text: the page renders it escaped, never as markup.
func Text(content string) []Paragraph {
	z := html.NewTokenizer(strings.NewReader(content))
	var (
		paras []Paragraph
		line  strings.Builder
		cur   Paragraph
		skip  int // depth inside dropped elements
		n     int
	)
	endLine := func() {
		if s := strings.TrimSpace(line.String()); s != "" {
			cur = append(cur, s)
		}
		line.Reset()
	}
	endPara := func() {
		endLine()
		if len(cur) > 0 {
			paras = append(paras, cur)
			cur = nil
		}
	}
	for n < maxTextRunes {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		name, _ := z.TagName()
		tag := string(name)
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if dropped[tag] {
				if tt == html.StartTagToken && !voidDrop[tag] {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case tag == "br":
				endLine()
			case block[tag]:
				endPara()
			}
		case html.EndTagToken:
			if dropped[tag] {
				if skip > 0 {
					skip--
				}
				continue
			}
			if skip == 0 && block[tag] {
				endPara()
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			for _, c := range string(z.Text()) {
				if n >= maxTextRunes {
					break
				}
				switch {
				case c == '\n' || c == '\r' || c == '\t':
					c = ' '
				case unicode.IsControl(c), unicode.Is(unicode.Bidi_Control, c), c == utf8.RuneError:
					continue
				}
				if c == ' ' && (line.Len() == 0 || strings.HasSuffix(line.String(), " ")) {
					continue
				}
				line.WriteRune(c)
				n++
			}
		}
	}
	endPara()
	return paras
}

// block elements end a paragraph.
var block = map[string]bool{"p": true, "div": true, "li": true, "ul": true, "ol": true, "blockquote": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true, "hr": true,
	"table": true, "tr": true, "section": true, "article": true}

// dropped elements lose their content too.
var dropped = map[string]bool{"script": true, "style": true, "template": true, "iframe": true,
	"object": true, "svg": true, "math": true, "noscript": true, "textarea": true, "title": true, "embed": true}

// voidDrop are dropped elements without content or end tag.
var voidDrop = map[string]bool{"embed": true}

// Plain is the text of content as one string (paragraphs separated by a
// blank line), for titles and tests.
func Plain(content string) string {
	var b strings.Builder
	for i, p := range Text(content) {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.Join(p, "\n"))
	}
	return b.String()
}
