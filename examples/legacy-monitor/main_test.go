package main

import (
	"strings"
	"testing"
)

// TestStory runs the example against an embedded server: of the day's 24
// reports, the monitor reports exactly the three the processor lost.
func TestStory(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run() = %v", err)
	}
	want := `scheduler published 24 hourly reports
alert: report-2026-01-01T03 is still running: lost
alert: report-2026-01-01T11 is still running: lost
alert: report-2026-01-01T19 is still running: lost
monitor: 3 of the day's reports still running
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
}
