package browse

import (
	"fmt"
	"net/url"
	"testing"
	"time"
)

func TestPaging(t *testing.T) {
	items := make([]item, 1234)
	for i := range items {
		items[i] = item{Name: fmt.Sprintf("f%04d", i), Modified: time.Unix(int64(i), 0)}
	}
	for _, tt := range []struct {
		query      string
		from, to   int
		prev, next string
	}{
		{"", 1, 500, "", "/c/?page=2"},
		{"page=2", 501, 1000, "/c/?page=1", "/c/?page=3"},
		{"page=3&sort=size&order=desc", 1001, 1234, "/c/?order=desc&page=2&sort=size", ""},
		{"page=99", 1001, 1234, "/c/?page=2", ""},
		{"page=-1", 1, 500, "", "/c/?page=2"},
		{"page=abc", 1, 500, "", "/c/?page=2"},
		{"page=99999999999999999999", 1, 500, "", "/c/?page=2"},
	} {
		q, _ := url.ParseQuery(tt.query)
		d := &containerData{}
		d.page(items, "/c/", q)
		if d.From != tt.from || d.To != tt.to || d.Total != 1234 || d.Prev != tt.prev || d.Next != tt.next || len(d.Items) != tt.to-tt.from+1 {
			t.Errorf("%q: %d–%d of %d, prev %q next %q", tt.query, d.From, d.To, d.Total, d.Prev, d.Next)
		}
	}
	d := &containerData{}
	d.page(nil, "/c/", url.Values{})
	if len(d.Items) != 0 || d.Prev != "" || d.Next != "" {
		t.Errorf("empty: %+v", d)
	}
}
