package server

import (
	"archive/tar"
	"mime"
	"regexp"
	"strings"
)

// The layout of a pod as files (issue 16 item 3) is the one the Community
// Solid Server's file backend uses, so that a pod moves between the two:
//   - a container is a directory, its path segments percent-decoded;
//   - a document is a file named by its decoded name when the name's
//     extension already stands for its content type ("card.ttl" holding
//     text/turtle), else by its name plus "$." and the type's extension
//     ("card" holding text/turtle is "card$.ttl", "photo" holding
//     image/png is "photo$.png"); a type with no known extension gets
//     "$.unknown";
//   - auxiliary resources are files beside their subjects, named as their
//     URLs are: "card.acl" and "card.meta" for the document "card", ".acl"
//     and ".meta" inside a container's directory for the container.
// The table below is the extensions both sides agree on (the common types
// of the mime-types database CSS uses, plus its own acl and meta as
// Turtle). A file whose extension is not in it is application/octet-stream
// on import, unless the tar records the exact type (exportTypeRecord).

// extTypes maps a lower-case file extension to its media type.
var extTypes = map[string]string{
	"ttl": "text/turtle", "acl": "text/turtle", "meta": "text/turtle",
	"txt": "text/plain", "html": "text/html", "htm": "text/html", "css": "text/css",
	"csv": "text/csv", "md": "text/markdown", "js": "application/javascript",
	"json": "application/json", "jsonld": "application/ld+json", "nt": "application/n-triples",
	"n3": "text/n3", "rdf": "application/rdf+xml", "xml": "application/xml",
	"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "gif": "image/gif",
	"svg": "image/svg+xml", "webp": "image/webp", "ico": "image/x-icon", "avif": "image/avif",
	"pdf": "application/pdf", "zip": "application/zip", "gz": "application/gzip",
	"mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "mp4": "video/mp4",
	"webm": "video/webm", "ics": "text/calendar", "vcf": "text/vcard",
	"woff2": "font/woff2", "bin": "application/octet-stream",
}

// typeExts is the extension a document of a media type gets after "$.".
var typeExts = map[string]string{
	"text/turtle": "ttl", "text/plain": "txt", "text/html": "html", "text/css": "css",
	"text/csv": "csv", "text/markdown": "md", "application/javascript": "js",
	"application/json": "json", "application/ld+json": "jsonld", "application/n-triples": "nt",
	"text/n3": "n3", "application/rdf+xml": "rdf", "application/xml": "xml",
	"image/png": "png", "image/jpeg": "jpeg", "image/gif": "gif", "image/svg+xml": "svg",
	"image/webp": "webp", "image/x-icon": "ico", "image/avif": "avif", "application/pdf": "pdf",
	"application/zip": "zip", "application/gzip": "gz", "audio/mpeg": "mp3", "audio/ogg": "ogg",
	"audio/wav": "wav", "video/mp4": "mp4", "video/webm": "webm", "text/calendar": "ics",
	"text/vcard": "vcf", "font/woff2": "woff2",
}

const unknownExt = "unknown"

// The tar's own records, as PAX extended attributes (SCHILY.xattr.*,
// which GNU tar, bsdtar and Go read, and ignore or restore as extended
// attributes; a keyword of our own made GNU tar warn for every file):
// exportTypeRecord is a file's exact content type (parameters included),
// under the freedesktop.org attribute for a file's media type;
// exportRootRecord the exported pod's root IRI and exportBodyRecord a
// container's own triples, on the directory entries. CSS ignores them;
// they make a round trip through this server exact. Tars written before
// carried them under NAAMIO.* keywords, which import still reads.
const (
	exportTypeRecord = "SCHILY.xattr.user.mime_type"
	exportRootRecord = "SCHILY.xattr.user.naamio.pod_root"
	exportBodyRecord = "SCHILY.xattr.user.naamio.container_triples"

	oldTypeRecord = "NAAMIO.contentType"
	oldRootRecord = "NAAMIO.podRoot"
	oldBodyRecord = "NAAMIO.containerBody"
)

// paxRecord is the value of the record key (or of its older name) in hdr.
func paxRecord(hdr *tar.Header, key, old string) (string, bool) {
	if v, ok := hdr.PAXRecords[key]; ok {
		return v, true
	}
	v, ok := hdr.PAXRecords[old]
	return v, ok
}

// dollarExt matches a name that already ends in "$.ext", the form the
// layout gives its own suffixes.
var dollarExt = regexp.MustCompile(`\$\.[^./$]+$`)

// extOf is the lower-case extension of name ("" if none).
func extOf(name string) string {
	i := strings.LastIndexByte(name, '.')
	if i < 0 || i == len(name)-1 {
		return ""
	}
	return strings.ToLower(name[i+1:])
}

// baseType is a media type without parameters, lower-cased.
func baseType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt
}

// typeOfName is the media type the layout reads from a file name.
func typeOfName(name string) string {
	if t, ok := extTypes[extOf(name)]; ok {
		return t
	}
	return "application/octet-stream"
}

// fileName is the file name of a document named name (decoded) with
// content type ct.
func fileName(name, ct string) string {
	bt := baseType(ct)
	if !dollarExt.MatchString(name) && typeOfName(name) == bt {
		return name
	}
	ext, ok := typeExts[bt]
	if !ok {
		ext = unknownExt
	}
	return name + "$." + ext
}

// resourceName is the decoded resource name of file name fn and the
// media type its name gives ("" when the type is unknown: "$.unknown").
func resourceName(fn string) (name, ct string) {
	if loc := dollarExt.FindStringIndex(fn); loc != nil {
		ext := strings.ToLower(fn[loc[0]+2:])
		if ext == unknownExt {
			return fn[:loc[0]], ""
		}
		return fn[:loc[0]], typeOfName(fn)
	}
	return fn, typeOfName(fn)
}
