package federation

import (
	"encoding/json"
	"net/http"
)

// NodeInfo 2.1 (https://nodeinfo.diaspora.software/protocol.html).
const (
	nodeInfoRel     = "http://nodeinfo.diaspora.software/ns/schema/2.1"
	mediaNodeInfo21 = `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`
)

type nodeInfo struct {
	Version           string         `json:"version"`
	Software          nodeSoftware   `json:"software"`
	Protocols         []string       `json:"protocols"`
	Services          nodeServices   `json:"services"`
	OpenRegistrations bool           `json:"openRegistrations"`
	Usage             nodeUsage      `json:"usage"`
	Metadata          map[string]any `json:"metadata"`
}

type nodeSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

type nodeServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

type nodeUsage struct {
	Users      nodeUsers `json:"users"`
	LocalPosts *int      `json:"localPosts,omitempty"`
}

type nodeUsers struct {
	Total          int  `json:"total"`
	ActiveHalfyear *int `json:"activeHalfyear,omitempty"`
	ActiveMonth    *int `json:"activeMonth,omitempty"`
}

// ServeNodeInfoLinks answers /.well-known/nodeinfo: where the NodeInfo
// 2.1 document is.
func (s *Service) ServeNodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	anyOrigin(w)
	if err := onlyRead(r); err != nil {
		s.fail(w, r, err)
		return
	}
	body, _ := json.Marshal(map[string]any{"links": []jrdLink{
		{Rel: nodeInfoRel, Href: s.cfg.Paths.Origin() + NodeInfoPath}}})
	_ = writeJSON(w, r, "application/json", body)
}

// ServeNodeInfo answers /nodeinfo/2.1. Counts the server cannot give
// cheaply and truly (Config.LocalPosts, Config.ActiveUsers unset) are
// left out, as the schema allows, rather than reported as 0.
func (s *Service) ServeNodeInfo(w http.ResponseWriter, r *http.Request) {
	anyOrigin(w)
	if err := onlyRead(r); err != nil {
		s.fail(w, r, err)
		return
	}
	sw := s.cfg.Software
	if sw.Name == "" {
		sw.Name = "naamio"
	}
	if sw.Version == "" {
		sw.Version = "unknown"
	}
	ni := nodeInfo{
		Version:           "2.1",
		Software:          nodeSoftware{Name: sw.Name, Version: sw.Version, Repository: sw.Repository, Homepage: sw.Homepage},
		Protocols:         []string{"activitypub"},
		Services:          nodeServices{Inbound: []string{}, Outbound: []string{}},
		OpenRegistrations: s.cfg.OpenRegistrations,
		Usage:             nodeUsage{Users: nodeUsers{Total: s.cfg.Pods.Count()}},
		Metadata:          map[string]any{},
	}
	if s.cfg.LocalPosts != nil {
		if n, ok := s.cfg.LocalPosts(); ok {
			ni.Usage.LocalPosts = &n
		}
	}
	if s.cfg.ActiveUsers != nil {
		if m, h, ok := s.cfg.ActiveUsers(); ok {
			ni.Usage.Users.ActiveMonth, ni.Usage.Users.ActiveHalfyear = &m, &h
		}
	}
	body, err := json.Marshal(ni)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_ = writeJSON(w, r, mediaNodeInfo21, body)
}

// Handler serves every endpoint of this package by path: the discovery
// documents at their fixed paths and the actors below the base URL. The
// server mounts it at those paths (server/federation.go); a path that is
// none of them is 404.
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			// CORS preflights are answered by the server's middleware;
			// a plain OPTIONS learns the methods.
			w.Header().Set("Allow", "GET, HEAD, OPTIONS")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		switch r.URL.Path {
		case WebFingerPath:
			s.ServeWebFinger(w, r)
		case HostMetaPath:
			s.ServeHostMeta(w, r)
		case HostMetaJSONPath:
			s.ServeHostMetaJSON(w, r)
		case NodeInfoLinkPath:
			s.ServeNodeInfoLinks(w, r)
		case NodeInfoPath:
			s.ServeNodeInfo(w, r)
		default:
			rt, _ := s.cfg.Paths.Parse(r.URL.EscapedPath())
			switch rt.Kind {
			case KindSharedInbox:
				s.ServeSharedInbox(w, r)
			case KindFollowers, KindFollowing:
				s.ServeCollection(w, r)
			case KindInstance:
				s.ServeInstanceActor(w, r)
			default:
				s.ServeActor(w, r)
			}
		}
	})
}
