// Package cluster runs a Sluice node in cluster mode: partitions whose
// journals live in NATS JetStream streams (natsjournal), each served by
// exactly one node at a time, chosen through leases in a JetStream
// key-value bucket.
//
// # Leases
//
// The bucket SLUICE_<cluster>_leases has a bucket-wide TTL. A node takes a
// free partition with Create (which fails if the key exists), then renews
// its lease every TTL/5 with Update at the revision it last wrote, which
// fails if anyone else wrote the key meanwhile. The key disappears TTL after
// its last renewal, and only then can another node Create it. A node
// stops serving a partition at once when a renewal is refused, and also
// when no renewal has succeeded for TTL/2 counted from when the last
// successful one was sent — well before the key can expire — so a node
// cut off from NATS stops before another can start. Fencing in the journal
// (natsjournal) backs this up: whatever a deposed owner still tries to
// write fails with journal.ErrFenced, and such a failure also makes the
// node stop serving the partition.
//
// # Serving a partition
//
// Each partition is served by its own engine over its own journal. Taking
// over opens the journal (fencing the previous owner), loads its snapshot
// and replays the log after it, then starts the engine. Queues and topics
// are placed on partitions by the FNV-1a hash of their name (Partition).
//
// Nodes also announce themselves in the bucket (key node.<id>, renewed like
// a lease), so that each takes no more than its share of the partitions
// while others are alive; partitions left without an owner are taken by
// whoever sees them.
package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/journal"
	"github.com/sluicehq/sluice/internal/journal/natsjournal"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultName       = "sluice"
	DefaultPartitions = 3
	DefaultLeaseTTL   = 5 * time.Second
)

// ErrNotOwner is returned for a partition this node does not serve.
var ErrNotOwner = errors.New("cluster: this node does not serve the partition")

// Config configures a Node. A zero field means the default.
type Config struct {
	// JetStream reaches the NATS cluster. The caller owns its connection.
	JetStream jetstream.JetStream
	// NodeID names this node; unique in the cluster. Required.
	NodeID string
	// Addr is the address other nodes and clients reach this node's API
	// at, published with its leases.
	Addr string
	// Name names the cluster: the prefix of its streams and buckets
	// (default "sluice").
	Name string
	// Partitions is the number of partitions (default 3). Every node of a
	// cluster must use the same count.
	Partitions int
	// Replicas is the replica count of the journals and the lease bucket
	// (default 1; 3 for production).
	Replicas int
	// LeaseTTL is how long a partition's lease outlives its owner's last
	// renewal (default 5s). Failover takes about this long.
	LeaseTTL time.Duration
	// Limits bound what clients may send.
	Limits sluice.Limits
	// TopicARN is the engines' engine.Options.TopicARN.
	TopicARN func(name string) string
	// Logger receives the node's logs (default: discarded).
	Logger *slog.Logger
	// OnRule, if set, is called for each alert rule of the cluster as the
	// node learns it (first the stored ones, then each change, in order),
	// with nil for a deleted rule. It must not block for long.
	OnRule func(name string, r *sluice.AlertRule)
	// OnChange, if set, is called when the node starts serving a partition
	// (after replay, before the first request) and when it stops (before
	// its engine is stopped). It must not block.
	OnChange func(partition int, serving bool)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Node is one Sluice node of a cluster. Create it with New and run it with
// Run; its methods are safe for concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	kv       jetstream.KeyValue
	set      *settings     // tiers and server-wide tenant settings
	renew    time.Duration // between renewals
	stopWait time.Duration // without a successful renewal before stopping

	// freeSeen counts, per partition, the acquisition rounds in a row
	// that found it free; overRounds the rounds in a row that found this
	// node holding more than its share. Only Run's goroutine uses them.
	freeSeen   map[int]int
	overRounds int

	mu    sync.Mutex // guards parts
	parts map[int]*owned
}

// lease is the value of a partition's key and of a node's key.
type lease struct {
	Node string `json:"node"`
	Addr string `json:"addr,omitempty"`
}

// New checks cfg and creates the cluster's lease bucket if needed. Nothing
// is served until Run.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.JetStream == nil {
		return nil, errors.New("cluster: no JetStream connection")
	}
	if !validName.MatchString(cfg.NodeID) {
		return nil, fmt.Errorf("cluster: node id %q must be 1 to 32 letters, digits, '-' or '_'", cfg.NodeID)
	}
	cfg.Name = cmp.Or(cfg.Name, DefaultName)
	if !validName.MatchString(cfg.Name) {
		return nil, fmt.Errorf("cluster: cluster name %q must be 1 to 32 letters, digits, '-' or '_'", cfg.Name)
	}
	cfg.Partitions = cmp.Or(cfg.Partitions, DefaultPartitions)
	cfg.Replicas = cmp.Or(cfg.Replicas, 1)
	cfg.LeaseTTL = cmp.Or(cfg.LeaseTTL, DefaultLeaseTTL)
	if cfg.Partitions < 1 || cfg.Partitions > 1024 {
		return nil, fmt.Errorf("cluster: partition count %d is not between 1 and 1024", cfg.Partitions)
	}
	if cfg.LeaseTTL < 500*time.Millisecond {
		return nil, fmt.Errorf("cluster: lease TTL %v is below 500ms", cfg.LeaseTTL)
	}
	n := &Node{
		cfg:      cfg,
		log:      cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)).With("node", cfg.NodeID),
		renew:    cfg.LeaseTTL / 5,
		stopWait: cfg.LeaseTTL / 2,
		parts:    make(map[int]*owned),
		freeSeen: make(map[int]int),
	}
	bucket := "SLUICE_" + cfg.Name + "_leases"
	kv, err := cfg.JetStream.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = cfg.JetStream.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "Sluice partition leases and node heartbeats",
			TTL:         cfg.LeaseTTL,
			Replicas:    cfg.Replicas,
			Storage:     jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: lease bucket %s: %w", bucket, err)
	}
	// The bucket's TTL is what expires leases: time renewals by it, even
	// if this node was configured otherwise.
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("cluster: lease bucket %s: %w", bucket, err)
	}
	if ttl := st.TTL(); ttl != cfg.LeaseTTL {
		if ttl <= 0 {
			return nil, fmt.Errorf("cluster: lease bucket %s has no TTL", bucket)
		}
		n.log.Warn("the lease bucket's TTL differs from this node's; using the bucket's", "bucket_ttl", ttl, "configured", cfg.LeaseTTL)
		n.cfg.LeaseTTL, n.renew, n.stopWait = ttl, ttl/5, ttl/2
	}
	n.kv = kv
	if n.set, err = openSettings(ctx, cfg.JetStream, cfg.Name, cfg.Replicas); err != nil {
		return nil, err
	}
	n.set.onRule = cfg.OnRule
	return n, nil
}

// Partition returns the partition that holds the named queue or topic.
func (n *Node) Partition(name string) int {
	return Partition(name, n.cfg.Partitions)
}

// Partition returns the partition, of count, that holds the named queue or
// topic: the FNV-1a hash of its placement key (PlacementKey) modulo count.
func Partition(name string, count int) int {
	h := fnv.New32a()
	h.Write([]byte(PlacementKey(name)))
	return int(h.Sum32() % uint32(count))
}

// PlacementKey returns what places a queue or topic on a partition: its
// name without the ".fifo" suffix, cut before the first "__" when that
// leaves something. Names that share a key share a partition, which work
// that crosses queues needs: "orders", "orders__dlq" and the topic
// "orders__events" are served together.
func PlacementKey(name string) string {
	key := strings.TrimSuffix(name, ".fifo")
	if before, _, ok := strings.Cut(key, "__"); ok && before != "" {
		key = before
	}
	return key
}

// Engine returns the engine serving partition p, or ErrNotOwner. The engine
// stops answering (sluice.ErrClosed) once the node stops serving p.
func (n *Node) Engine(p int) (*engine.Engine, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.parts[p]
	if o == nil || !o.serving {
		return nil, fmt.Errorf("%w %d", ErrNotOwner, p)
	}
	return o.eng, nil
}

// Serving returns the partitions this node serves, in order.
func (n *Node) Serving() []int {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ps []int
	for p, o := range n.parts {
		if o.serving {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

// Run announces the node, takes its share of the partitions and keeps
// their leases until ctx is done; it then stops serving and releases the
// leases so that other nodes take over at once. It returns nil.
func (n *Node) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer func() {
		n.mu.Lock()
		parts := make([]*owned, 0, len(n.parts))
		for _, o := range n.parts {
			parts = append(parts, o)
		}
		n.mu.Unlock()
		for _, o := range parts {
			n.stop(o, reasonShutdown)
			n.release(o)
		}
		wg.Wait()
		n.deleteKey(nodeKey(n.cfg.NodeID), 0)
	}()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	wg.Go(func() { n.set.watch(wctx, n) })
	// Announce ourselves and give the others a renewal period to do the
	// same, so that the first node up does not take every partition.
	n.heartbeat(ctx)
	ticker := time.NewTicker(n.renew)
	defer ticker.Stop()
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
		n.heartbeat(ctx)
		// A partition is served with the cluster's settings: not before
		// they are known.
		if !first && n.set.ready() {
			n.acquire(ctx, &wg)
		}
	}
}

func nodeKey(id string) string  { return "node." + id }
func partitionKey(p int) string { return fmt.Sprintf("partition.%04d", p) }
func (n *Node) value() []byte {
	b, _ := json.Marshal(lease{Node: n.cfg.NodeID, Addr: n.cfg.Addr})
	return b
}

// heartbeat renews the node's own key.
func (n *Node) heartbeat(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, n.renew)
	defer cancel()
	if _, err := n.kv.Put(ctx, nodeKey(n.cfg.NodeID), n.value()); err != nil && ctx.Err() == nil {
		n.log.Warn("heartbeat failed", "err", err)
	}
}

// acquire takes free partitions up to the node's share. Each one taken
// gets its own goroutine, added to wg, that renews its lease.
func (n *Node) acquire(ctx context.Context, wg *sync.WaitGroup) {
	lctx, cancel := context.WithTimeout(ctx, n.renew)
	keys, err := n.kv.Keys(lctx)
	cancel()
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		if ctx.Err() == nil {
			n.log.Warn("listing leases failed", "err", err)
		}
		return
	}
	nodes, taken := 0, make(map[string]bool)
	for _, k := range keys {
		if strings.HasPrefix(k, "node.") {
			nodes++
		}
		taken[k] = true
	}
	share := (n.cfg.Partitions + max(nodes, 1) - 1) / max(nodes, 1)
	n.mu.Lock()
	mine := len(n.parts)
	n.mu.Unlock()
	n.rebalance(mine, share)
	for p := range n.cfg.Partitions {
		if taken[partitionKey(p)] {
			delete(n.freeSeen, p)
			continue
		}
		n.freeSeen[p]++
		n.mu.Lock()
		_, held := n.parts[p]
		n.mu.Unlock()
		// Beyond its share a node takes only partitions that stayed free
		// for a few rounds: nobody else is taking them.
		if held || mine >= share && n.freeSeen[p] < 3 || ctx.Err() != nil {
			continue
		}
		if n.takeOver(ctx, p, wg) {
			mine++
			delete(n.freeSeen, p)
		}
	}
}

// rebalanceRounds is how many acquisition rounds in a row a node must hold
// more than its share before it gives a partition up, so that nodes
// starting together do not trade partitions back and forth.
const rebalanceRounds = 5

// rebalance gives up one partition when the node has held more than its
// share for rebalanceRounds rounds — after a node joined — so that the
// newcomer, below its share, takes it.
func (n *Node) rebalance(mine, share int) {
	if mine <= share {
		n.overRounds = 0
		return
	}
	if n.overRounds++; n.overRounds < rebalanceRounds {
		return
	}
	n.overRounds = 0
	n.mu.Lock()
	var o *owned
	for _, cand := range n.parts {
		if o == nil || cand.p > o.p {
			o = cand
		}
	}
	n.mu.Unlock()
	if o != nil {
		n.stop(o, "rebalancing: more than this node's share")
		n.release(o)
	}
}

// release deletes o's lease key if it still holds it, so that another node
// can take the partition without waiting for the TTL.
func (n *Node) release(o *owned) {
	n.deleteKey(partitionKey(o.p), o.revision())
}

func (n *Node) deleteKey(key string, rev uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), n.renew)
	defer cancel()
	var opts []jetstream.KVDeleteOpt
	if rev != 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	if err := n.kv.Delete(ctx, key, opts...); err != nil {
		n.log.Debug("releasing a key failed", "key", key, "err", err)
	}
}

// watched passes a journal's write failures to onErr as well as to the
// engine: a failed write, and above all a fenced one, means the node must
// stop serving the partition.
type watched struct {
	journal.Journal
	onErr func(error)
}

func (w watched) Append(recs [][]byte, done func(error)) {
	w.Journal.Append(recs, func(err error) {
		if err != nil {
			w.onErr(err)
		}
		done(err)
	})
}

// openJournal opens partition p's journal, taking it over.
func (n *Node) openJournal(ctx context.Context, p int) (*natsjournal.Journal, error) {
	return natsjournal.Open(ctx, n.cfg.JetStream, natsjournal.Options{
		Name:     fmt.Sprintf("%s-p%04d", n.cfg.Name, p),
		Replicas: n.cfg.Replicas,
		Timeout:  n.stopWait,
		Logger:   n.log.With("partition", p),
	})
}
