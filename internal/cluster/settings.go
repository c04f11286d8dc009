package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
)

// Cluster-wide settings: tiers, server-wide tenant settings and the Task
// Monitor's alert rules (key rule.<name>, passed to Config.OnRule). Each
// partition's engine keeps its own copy (an engine applies them to its
// queues), so the cluster keeps the authoritative copy in the key-value
// bucket SLUICE_<cluster>_settings: key tier.<name> holds a tier, key
// tenant.<name> a tenant's server-wide setting (names base64url-encoded,
// "_" for the default tenant). Every node watches the bucket and applies
// each change, in revision order, to the engines it serves with their own
// SetTier and SetTenant; a node taking a partition over applies the whole
// bucket to its engine before serving it. A change is acknowledged once the
// bucket stored it (a JetStream quorum) and this node's engines applied it;
// the other nodes apply it as their watches deliver it, within moments.

// settings is a node's view of the settings bucket.
type settings struct {
	kv jetstream.KeyValue

	// mu is held while a change is applied to the engines and while a
	// partition taken over gets the whole bucket, so that no change falls
	// between the two. Lock order: settings.mu, then Node.mu.
	mu      sync.Mutex
	tiers   map[string]sluice.TenantPolicy
	tenants map[string]sluice.TenantConfig
	rules   map[string]sluice.AlertRule
	onRule  func(name string, r *sluice.AlertRule)
	rev     uint64        // last revision applied
	changed chan struct{} // closed and replaced when rev moves
	loaded  bool          // the watch delivered the bucket's initial values
}

func newSettings(kv jetstream.KeyValue) *settings {
	return &settings{kv: kv, tiers: make(map[string]sluice.TenantPolicy),
		tenants: make(map[string]sluice.TenantConfig), rules: make(map[string]sluice.AlertRule),
		changed: make(chan struct{})}
}

func ruleKey(name string) string { return "rule." + base64.RawURLEncoding.EncodeToString([]byte(name)) }

func tierKey(name string) string { return "tier." + base64.RawURLEncoding.EncodeToString([]byte(name)) }

func tenantKey(name string) string {
	if name == "" {
		return "tenant._" // no base64url encoding of a non-empty name is one character
	}
	return "tenant." + base64.RawURLEncoding.EncodeToString([]byte(name))
}

// settingValue is the JSON value of a key: a tier's policy, or a tenant's
// tier and policy (both empty once the setting is cleared).
type settingValue struct {
	Tier   string              `json:"tier,omitempty"`
	Policy sluice.TenantPolicy `json:"policy"`
	// Rule is an alert rule's value; nil once the rule is deleted.
	Rule *sluice.AlertRule `json:"rule,omitempty"`
}

// openSettings opens or creates the cluster's settings bucket.
func openSettings(ctx context.Context, js jetstream.JetStream, name string, replicas int) (*settings, error) {
	bucket := "SLUICE_" + name + "_settings"
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "Sluice tiers and server-wide tenant settings",
			Replicas:    replicas,
			Storage:     jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: settings bucket %s: %w", bucket, err)
	}
	return newSettings(kv), nil
}

// watch follows the bucket until ctx is done, applying each change to the
// engines n serves. A watch that ends early is started again.
func (s *settings) watch(ctx context.Context, n *Node) {
	for ctx.Err() == nil {
		w, err := s.kv.WatchAll(ctx)
		if err != nil {
			n.log.Warn("watching the settings bucket failed", "err", err)
		} else {
			for e := range w.Updates() {
				if e == nil {
					s.mu.Lock()
					s.loaded = true
					s.mu.Unlock()
					continue
				}
				s.apply(ctx, n, e)
			}
			w.Stop()
		}
		select {
		case <-ctx.Done():
		case <-time.After(n.renew):
		}
	}
}

// ready reports whether the bucket's initial values are known, which a
// node needs before it takes a partition over.
func (s *settings) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loaded
}

// apply records one entry of the bucket and applies it to the engines n serves.
func (s *settings) apply(ctx context.Context, n *Node, e jetstream.KeyValueEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.Revision() <= s.rev {
		return // seen again after a restarted watch
	}
	defer func() {
		s.rev = e.Revision()
		close(s.changed)
		s.changed = make(chan struct{})
	}()
	var v settingValue
	if e.Operation() == jetstream.KeyValuePut {
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			n.log.Warn("ignoring an unreadable setting", "key", e.Key(), "err", err)
			return
		}
	}
	kind, enc, _ := strings.Cut(e.Key(), ".")
	var name string
	if enc != "_" {
		b, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			n.log.Warn("ignoring a setting with an unreadable key", "key", e.Key())
			return
		}
		name = string(b)
	}
	var do func(*engine.Engine) error
	switch kind {
	case "tier":
		if e.Operation() != jetstream.KeyValuePut {
			return // tiers are never deleted
		}
		s.tiers[name] = v.Policy
		do = func(eng *engine.Engine) error {
			_, err := eng.SetTier(ctx, sluice.Tier{Name: name, Policy: v.Policy})
			return err
		}
	case "tenant":
		c := sluice.TenantConfig{Tenant: name, Tier: v.Tier, Policy: v.Policy}
		if c.Tier == "" && c.Policy == (sluice.TenantPolicy{}) {
			delete(s.tenants, name)
		} else {
			s.tenants[name] = c
		}
		do = func(eng *engine.Engine) error {
			_, err := eng.SetTenant(ctx, c)
			return err
		}
	case "rule":
		if v.Rule == nil {
			delete(s.rules, name)
		} else {
			s.rules[name] = *v.Rule
		}
		if s.onRule != nil {
			s.onRule(name, v.Rule)
		}
		return
	default:
		return
	}
	for _, p := range n.Serving() {
		eng, err := n.Engine(p)
		if err == nil {
			err = do(eng)
		}
		// A partition that stops serving meanwhile gets the setting from
		// the bucket when it is taken over again.
		if err != nil && !errors.Is(err, ErrNotOwner) && !errors.Is(err, sluice.ErrClosed) {
			n.log.Warn("applying a setting failed", "partition", p, "key", e.Key(), "err", err)
		}
	}
}

// applyAll brings eng, which is about to serve a partition, up to date:
// every tier, then every tenant setting, that differs from what its
// journal gave it. The caller holds s.mu.
func (s *settings) applyAll(ctx context.Context, eng *engine.Engine) error {
	have, err := eng.Tiers(ctx)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(s.tiers)) {
		t := sluice.Tier{Name: name, Policy: s.tiers[name]}
		if slices.Contains(have, t) {
			continue
		}
		if _, err := eng.SetTier(ctx, t); err != nil {
			return err
		}
	}
	cur, err := eng.TenantConfigs(ctx, "")
	if err != nil {
		return err
	}
	for _, c := range cur { // cleared since the journal last saw them
		if _, ok := s.tenants[c.Tenant]; !ok {
			if _, err := eng.SetTenant(ctx, sluice.TenantConfig{Tenant: c.Tenant}); err != nil {
				return err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.tenants)) {
		c := s.tenants[name]
		if slices.Contains(cur, c) {
			continue
		}
		if _, err := eng.SetTenant(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// put stores a setting and waits until this node applied it.
func (s *settings) put(ctx context.Context, key string, v settingValue) error {
	b, _ := json.Marshal(v)
	rev, err := s.kv.Put(ctx, key, b)
	if err != nil {
		return fmt.Errorf("%w: storing the setting: %v", sluice.ErrUnavailable, err)
	}
	return s.await(ctx, rev)
}

// sync waits until this node applied every change the bucket held when
// it was called, so that a listing through any node shows what was set
// through another before.
func (s *settings) sync(ctx context.Context) error {
	st, err := s.kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("%w: reading the settings: %v", sluice.ErrUnavailable, err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok {
		return nil
	}
	return s.await(ctx, bs.StreamInfo().State.LastSeq)
}

// await waits until this node applied the bucket's changes up to rev.
func (s *settings) await(ctx context.Context, rev uint64) error {
	for {
		s.mu.Lock()
		done, changed := s.rev >= rev, s.changed
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// The Router's tier and server-wide tenant methods.

func (r *Router) SetTier(ctx context.Context, t sluice.Tier) (sluice.Tier, error) {
	if err := engine.CheckTier(t); err != nil {
		return sluice.Tier{}, err
	}
	if err := r.n.set.put(ctx, tierKey(t.Name), settingValue{Policy: t.Policy}); err != nil {
		return sluice.Tier{}, err
	}
	return t, nil
}

func (r *Router) Tiers(ctx context.Context) ([]sluice.Tier, error) {
	s := r.n.set
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sluice.Tier, 0, len(s.tiers))
	for _, name := range slices.Sorted(maps.Keys(s.tiers)) {
		out = append(out, sluice.Tier{Name: name, Policy: s.tiers[name]})
	}
	return out, nil
}

func (r *Router) SetTenant(ctx context.Context, c sluice.TenantConfig) (sluice.TenantConfig, error) {
	if c.Queue != "" {
		return r.setQueueTenant(ctx, c)
	}
	if err := engine.CheckTenant(r.n.cfg.Limits, c); err != nil {
		return c, err
	}
	if c.Tier != "" {
		if err := r.n.set.sync(ctx); err != nil {
			return c, err
		}
		r.n.set.mu.Lock()
		_, ok := r.n.set.tiers[c.Tier]
		r.n.set.mu.Unlock()
		if !ok {
			return c, fmt.Errorf("tier %q: %w", c.Tier, sluice.ErrTierNotFound)
		}
	}
	if err := r.n.set.put(ctx, tenantKey(c.Tenant), settingValue{Tier: c.Tier, Policy: c.Policy}); err != nil {
		return sluice.TenantConfig{}, err
	}
	return c, nil
}

// tenantSettings returns the server-wide tenant settings, by tenant.
func (r *Router) tenantSettings(ctx context.Context) ([]sluice.TenantConfig, error) {
	s := r.n.set
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sluice.TenantConfig, 0, len(s.tenants))
	for _, name := range slices.Sorted(maps.Keys(s.tenants)) {
		out = append(out, s.tenants[name])
	}
	return out, nil
}

// setQueueTenant sets a tenant's setting in one queue on the queue's owner.
// A tier this node knows may not have reached the owner's engine yet (it
// applies the bucket's changes as its watch delivers them): the owner's
// ErrTierNotFound is then retried for a moment.
func (r *Router) setQueueTenant(ctx context.Context, c sluice.TenantConfig) (sluice.TenantConfig, error) {
	if c.Tier != "" {
		if err := r.n.set.sync(ctx); err != nil {
			return sluice.TenantConfig{}, err
		}
	}
	r.n.set.mu.Lock()
	_, known := r.n.set.tiers[c.Tier]
	r.n.set.mu.Unlock()
	for try := 0; ; try++ {
		t, err := r.on(ctx, c.Queue)
		if err != nil {
			return sluice.TenantConfig{}, err
		}
		var out sluice.TenantConfig
		if t.eng != nil {
			out, err = t.eng.SetTenant(ctx, c)
		} else {
			out, err = t.remote.SetTenant(ctx, c)
		}
		if !known || !errors.Is(err, sluice.ErrTierNotFound) || try == 40 {
			return out, err
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return sluice.TenantConfig{}, ctx.Err()
		}
	}
}

// PutRule stores an alert rule for every node (Config.OnRule) and waits
// until this node applied it. The caller validates it.
func (n *Node) PutRule(ctx context.Context, r sluice.AlertRule) error {
	return n.set.put(ctx, ruleKey(r.Name), settingValue{Rule: &r})
}

// DeleteRule deletes an alert rule, or returns sluice.ErrRuleNotFound.
func (n *Node) DeleteRule(ctx context.Context, name string) error {
	if err := n.set.sync(ctx); err != nil {
		return err
	}
	n.set.mu.Lock()
	_, ok := n.set.rules[name]
	n.set.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: %s", sluice.ErrRuleNotFound, name)
	}
	return n.set.put(ctx, ruleKey(name), settingValue{})
}

// SyncSettings waits until this node applied every change the settings
// bucket holds, so that what it lists includes what was set through other
// nodes before.
func (n *Node) SyncSettings(ctx context.Context) error { return n.set.sync(ctx) }
