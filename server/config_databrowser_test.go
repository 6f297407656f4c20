package server

import (
	"strings"
	"testing"
)

// TestConfigDataBrowser: --data-browser chooses what a browser's HTML
// request for a resource gets (issue 15 item 4): Naamio's own pages by
// default, or the SolidOS shell, which needs --mashlib-url, the folder
// mashlib's dist/ is served from. Flag beats environment.
func TestConfigDataBrowser(t *testing.T) {
	for _, tc := range []struct {
		name        string
		args        []string
		env         map[string]string
		wantBrowser string
		wantURL     string
	}{
		{"default naamio", nil, nil, "naamio", ""},
		{"solidos by flags", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/mashlib/"}, nil,
			"solidos", "https://cdn.example/mashlib/"},
		{"trailing slash added", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/mashlib/dist"}, nil,
			"solidos", "https://cdn.example/mashlib/dist/"},
		{"env", nil, map[string]string{"NAAMIO_DATA_BROWSER": "solidos", "NAAMIO_MASHLIB_URL": "http://127.0.0.1:9000/"},
			"solidos", "http://127.0.0.1:9000/"},
		{"flag beats env", []string{"--data-browser", "naamio"}, map[string]string{"NAAMIO_DATA_BROWSER": "solidos"},
			"naamio", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseServeConfig(tc.args, func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if c.DataBrowser != tc.wantBrowser || c.MashlibURL != tc.wantURL {
				t.Errorf("data browser %q, mashlib %q; want %q, %q", c.DataBrowser, c.MashlibURL, tc.wantBrowser, tc.wantURL)
			}
		})
	}
}

// TestConfigDataBrowserRejects: hostile or unusable values are refused at
// start-up, naming the setting, instead of producing a shell page that
// loads scripts from somewhere unintended (the shell's CSP allows exactly
// the mashlib URL's origin).
func TestConfigDataBrowserRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown browser", []string{"--data-browser", "SolidOS"}, "data browser"},
		{"empty browser", []string{"--data-browser", ""}, "data browser"},
		{"solidos without url", []string{"--data-browser", "solidos"}, "mashlib-url"},
		{"url without solidos", []string{"--mashlib-url", "https://cdn.example/m/"}, "solidos"},
		{"relative url", []string{"--data-browser", "solidos", "--mashlib-url", "/mashlib/"}, "mashlib"},
		{"javascript url", []string{"--data-browser", "solidos", "--mashlib-url", "javascript:alert(1)//"}, "mashlib"},
		{"data url", []string{"--data-browser", "solidos", "--mashlib-url", "data:text/javascript,alert(1)"}, "mashlib"},
		{"scheme-relative", []string{"--data-browser", "solidos", "--mashlib-url", "//cdn.example/m/"}, "mashlib"},
		{"query", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m/?v=1"}, "mashlib"},
		{"fragment", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m/#x"}, "mashlib"},
		{"user info", []string{"--data-browser", "solidos", "--mashlib-url", "https://u:p@cdn.example/m/"}, "mashlib"},
		{"quote breaks CSP", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m/';script-src *"}, "mashlib"},
		{"space", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m x/"}, "mashlib"},
		{"semicolon", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m;/"}, "mashlib"},
		{"comma", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/m,/"}, "mashlib"},
		{"angle bracket", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/\"><script>/"}, "mashlib"},
		{"wildcard host", []string{"--data-browser", "solidos", "--mashlib-url", "https://*.example/m/"}, "mashlib"},
		{"http from https server", []string{"--base-url", "https://pod.example/", "--data-browser", "solidos",
			"--mashlib-url", "http://cdn.example/m/"}, "https"},
		{"huge", []string{"--data-browser", "solidos", "--mashlib-url", "https://cdn.example/" + strings.Repeat("a", 3000) + "/"}, "mashlib"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseServeConfig(tc.args, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: error %v, want one naming %q", tc.args, err, tc.want)
			}
		})
	}
}
