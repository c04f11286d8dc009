package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

// plainWord agrees with the byte table for every byte in every position.
func TestPlainWord(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			if got := plainWord(string(w)); got != plain[c] {
				t.Errorf("plainWord(%q) = %v, want %v", w, got, plain[c])
			}
		}
	}
}

// FuzzAppend holds Append to encoding/json, with HTML escaping on and off.
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain ascii text", "a\"b\\c\n\t\x00\x1f", "<a href='x'>&amp;</a>",
		"é€😀", "\xff\xfe bad utf-8 \xc3", "line\u2028sep\u2029", "0123456789abcdef0123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		html, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		noHTML := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := Append(nil, s, true); !bytes.Equal(got, html) {
			t.Errorf("Append(%q, html) = %s, want %s", s, got, html)
		}
		if got := Append(nil, []byte(s), true); !bytes.Equal(got, html) {
			t.Errorf("Append([]byte %q, html) = %s, want %s", s, got, html)
		}
		if got := Append(nil, s, false); !bytes.Equal(got, noHTML) {
			t.Errorf("Append(%q) = %s, want %s", s, got, noHTML)
		}
	})
}
