package acl

import "testing"

func TestNormalizeOrigin(t *testing.T) {
	tests := []struct {
		in    string
		slash bool
		want  string
		ok    bool
	}{
		{"https://app.example", false, "https://app.example", true},
		{"HTTPS://App.Example:443", false, "https://app.example", true},
		{"http://app.example:80", false, "http://app.example", true},
		{"http://app.example:8080", false, "http://app.example:8080", true},
		{"http://[::1]:8080", false, "http://[::1]:8080", true},
		{"http://[::1]", false, "http://[::1]", true},
		{"https://app.example/", true, "https://app.example", true},
		{"https://app.example/", false, "", false},
		{"https://app.example/x", true, "", false},
		{"null", false, "", false},
		{"", false, "", false},
		{"garbage", false, "", false},
		{"https://", false, "", false},
		{"https://u:p@app.example", false, "", false},
		{"https://app.example?q", false, "", false},
		{"https://app.example#f", false, "", false},
		{"https://app.example:x", false, "", false},
		{"https://app.example, https://evil.example", false, "", false},
		{"mailto:a@b", false, "", false},
	}
	for _, tt := range tests {
		got, ok := normalizeOrigin(tt.in, tt.slash)
		if got != tt.want || ok != tt.ok {
			t.Errorf("normalizeOrigin(%q, %v) = %q, %v; want %q, %v", tt.in, tt.slash, got, ok, tt.want, tt.ok)
		}
	}
}
