package monitor

import (
	"strings"
	"testing"
)

// FuzzJSONPathID checks that any body and path give an id or an error,
// never a panic, and that an id is never empty.
func FuzzJSONPathID(f *testing.F) {
	f.Add([]byte(`{"job":{"id":"r-1"}}`), "job.id")
	f.Add([]byte(`{"id":7}`), "id")
	f.Add([]byte(`{"id":[1]}`), "id")
	f.Add([]byte(`[]`), "a")
	f.Add([]byte(`{"a":{"b":null}}`), "a.b.c")
	f.Add([]byte(`not json`), "id")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if path == "" || strings.Contains(path, "..") {
			return
		}
		id, err := jsonPathID(body, path)
		if err == nil && id == "" {
			t.Fatalf("jsonPathID(%q, %q) = empty id without an error", body, path)
		}
	})
}
