package wire

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzTaskQueryParams checks the parsers of the task and monitor listings'
// query parameters: they never panic, and what they accept prints back to
// something they accept the same way.
func FuzzTaskQueryParams(f *testing.F) {
	for _, s := range []string{"", "running", "queued,failed", "running,,x", "45m", "1.5", "-1s", "18446744073709551615", "12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if states, err := ParseStates("state", s); err == nil {
			parts := make([]string, len(states))
			for i, st := range states {
				if !st.Valid() {
					t.Fatalf("ParseStates(%q) accepted %q", s, st)
				}
				parts[i] = string(st)
			}
			again, err := ParseStates("state", strings.Join(parts, ","))
			if err != nil || len(again) != len(states) {
				t.Fatalf("ParseStates(join(ParseStates(%q))) = %v, %v", s, again, err)
			}
		}
		if n, err := ParseCursor("after", s); err == nil {
			if m, err := ParseCursor("after", strconv.FormatUint(n, 10)); err != nil || m != n {
				t.Fatalf("cursor %q: %d, then %d, %v", s, n, m, err)
			}
		}
		if d, err := ParseAge("over", s); err == nil {
			if d < 0 {
				t.Fatalf("ParseAge(%q) = %v, negative", s, d)
			}
			if e, err := ParseAge("over", d.String()); err != nil || e != d {
				t.Fatalf("ParseAge(%q) = %v, then %v, %v", s, d, e, err)
			}
		}
	})
}
