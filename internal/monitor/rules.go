package monitor

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/wire"
)

// validate returns an invalid-argument error naming the first bad field
// of r.
func validate(r sluice.AlertRule) error {
	switch {
	case r.Name == "" || len(r.Name) > 128 || strings.ContainsAny(r.Name, "/?#"):
		return sluice.Invalid("name", "must be 1 to 128 characters, without '/', '?' or '#'")
	case !slices.Contains([]string{sluice.CondRunningAge, sluice.CondWaitingAge, sluice.CondOrphaned, sluice.CondBucketCount, sluice.CondOldestAge}, r.Condition):
		return sluice.Invalid("condition", "%q is not running_age, waiting_age, orphaned, bucket_count or oldest_age", r.Condition)
	case r.Threshold < 0:
		return sluice.Invalid("threshold", "must not be negative")
	case r.For < 0:
		return sluice.Invalid("for", "must not be negative")
	case r.Repeat < 0 || r.Repeat != 0 && r.Repeat < time.Second:
		return sluice.Invalid("repeat", "must be zero or at least 1s")
	case r.Count < 0:
		return sluice.Invalid("count", "must not be negative")
	case r.Kind != "" && (r.Condition != sluice.CondBucketCount || r.Kind != sluice.AgeWaiting && r.Kind != sluice.AgeRunning):
		return sluice.Invalid("kind", "%q: only bucket_count takes a kind, waiting or running", r.Kind)
	case len(r.Webhooks) > 10:
		return &sluice.LimitError{Field: "webhooks", Limit: 10, Got: int64(len(r.Webhooks))}
	}
	for i, u := range r.Webhooks {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return sluice.Invalid(fmt.Sprintf("webhooks[%d]", i), "%q is not an http(s) URL", u)
		}
	}
	if err := sluice.ValidateTags(r.Labels); err != nil {
		return sluice.WithField("labels", err)
	}
	return nil
}

// store keeps rules in a JSON file, rewritten whole on each change.
type store struct {
	path string // "" keeps rules in memory only
}

func (s store) load() (map[string]sluice.AlertRule, error) {
	rules := map[string]sluice.AlertRule{}
	if s.path == "" {
		return rules, nil
	}
	var list []wire.AlertRule
	if ok, err := readJSON(s.path, &list); err != nil || !ok {
		return rules, err
	}
	for _, r := range list {
		rules[r.Name] = r.AlertRule()
	}
	return rules, nil
}

// save writes rules durably (see writeFileAtomic).
func (s store) save(rules map[string]sluice.AlertRule) error {
	if s.path == "" {
		return nil
	}
	list := make([]wire.AlertRule, 0, len(rules))
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		list = append(list, wire.FromAlertRule(rules[name]))
	}
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.path, data); err != nil {
		return fmt.Errorf("monitor: saving rules: %w", err)
	}
	return nil
}

// readJSON decodes the file at path into v; it reports false if there is
// no file.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("monitor: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("monitor: %s: %w", path, err)
	}
	return true, nil
}

// writeFileAtomic replaces the file at path with data durably: it writes
// a temporary file, syncs it, renames it over the old one and syncs the
// directory, so a crash leaves either the old or the new file whole.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// saveAlerts writes the active alerts to the alerts file; m.mu must be
// held.
func (m *Monitor) saveAlerts() error {
	if m.opts.AlertsFile == "" {
		return nil
	}
	list := make([]wire.Alert, 0, len(m.alerts))
	for _, a := range m.alerts {
		list = append(list, wire.FromAlert(*a))
	}
	slices.SortFunc(list, func(a, b wire.Alert) int {
		return cmp.Or(strings.Compare(a.Rule, b.Rule), strings.Compare(a.Queue, b.Queue), strings.Compare(a.Task, b.Task))
	})
	data, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(m.opts.AlertsFile, data)
}

// loadAlerts reads the alerts file, if there is one, dropping the alerts
// of rules that no longer exist.
func (m *Monitor) loadAlerts() error {
	if m.opts.AlertsFile == "" {
		return nil
	}
	var list []wire.Alert
	if ok, err := readJSON(m.opts.AlertsFile, &list); err != nil || !ok {
		return err
	}
	for _, d := range list {
		if _, ok := m.rules[d.Rule]; ok {
			a := d.Alert()
			m.alerts[alertKey{a.Rule, a.Queue, a.Task}] = &a
		}
	}
	return nil
}

// ValidateRule returns the error PutRule gives for r, if any: cluster mode
// checks rules before it stores them for every node.
func ValidateRule(r sluice.AlertRule) error { return validate(r) }
