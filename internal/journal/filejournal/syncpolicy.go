package filejournal

import (
	"fmt"
	"strings"
	"time"
)

// SyncPolicy says when appended records are made durable with fdatasync and
// so when Append's callback is called. The zero value is SyncAlways.
// Segment rollover, InstallSnapshot and Close sync under every policy.
type SyncPolicy int64

const (
	// SyncAlways syncs every batch before its callbacks are called: a
	// record reported done survives a crash of the machine. It is the
	// default.
	SyncAlways SyncPolicy = 0
	// SyncNever calls callbacks once records are written to the operating
	// system: they survive a crash of the process but not of the machine.
	SyncNever SyncPolicy = -1
)

// SyncInterval returns the policy that calls callbacks once records are
// written to the operating system and syncs in the background every d, so a
// crash of the machine loses at most about d of acknowledged records. It
// panics if d is not positive.
func SyncInterval(d time.Duration) SyncPolicy {
	if d <= 0 {
		panic(fmt.Sprintf("filejournal: non-positive sync interval %v", d))
	}
	return SyncPolicy(d)
}

// ParseSyncPolicy parses "always", "never" or "interval:" followed by a
// positive duration such as "interval:10ms". It is the inverse of String.
func ParseSyncPolicy(s string) (SyncPolicy, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "never":
		return SyncNever, nil
	}
	if ds, ok := strings.CutPrefix(s, "interval:"); ok {
		d, err := time.ParseDuration(ds)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("filejournal: bad sync policy %q: interval must be a positive duration such as interval:10ms", s)
		}
		return SyncInterval(d), nil
	}
	return 0, fmt.Errorf("filejournal: bad sync policy %q: want always, never or interval:<duration>", s)
}

// String returns "always", "never" or "interval:<duration>".
func (p SyncPolicy) String() string {
	switch {
	case p == SyncAlways:
		return "always"
	case p < 0:
		return "never"
	default:
		return "interval:" + time.Duration(p).String()
	}
}

// interval returns the background sync interval, or 0 if there is none.
func (p SyncPolicy) interval() time.Duration {
	if p > 0 {
		return time.Duration(p)
	}
	return 0
}
