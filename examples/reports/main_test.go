package main

import (
	"strings"
	"testing"
)

// TestStory runs the example against an embedded server: every request is
// accepted at once, and polling finds each report, globex's after a retry.
func TestStory(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), "", &out); err != nil {
		t.Fatalf("run() = %v", err)
	}
	want := `accepted 3 report requests
succeeded after 1 attempt(s): report for acme: 28 orders
succeeded after 2 attempt(s): report for globex: 42 orders (earlier: data warehouse timed out)
succeeded after 1 attempt(s): report for initech: 49 orders
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
