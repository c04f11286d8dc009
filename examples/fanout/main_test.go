package main

import (
	"strings"
	"testing"
)

// TestStory runs the example against an embedded server: the original worker
// sees every order on both days, and the indexer added on day 2 sees only
// that day's new orders, with no change to the producer.
func TestStory(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), "", &out); err != nil {
		t.Fatalf("run() = %v", err)
	}
	want := `day 1:
  original worker handled {"order": 1, "status": "created"}
  original worker handled {"order": 2, "status": "created"}
  original worker handled {"order": 3, "status": "cancelled"}
day 2:
  original worker handled {"order": 4, "status": "created"}
  original worker handled {"order": 5, "status": "created"}
  original worker handled {"order": 6, "status": "cancelled"}
  search indexer  handled {"order": 4, "status": "created"}
  search indexer  handled {"order": 5, "status": "created"}
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
