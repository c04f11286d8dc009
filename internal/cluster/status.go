package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Status is a cluster as its lease bucket and journal streams show it.
type Status struct {
	Nodes      []NodeStatus      `json:"nodes"`
	Partitions []PartitionStatus `json:"partitions"`
}

// NodeStatus is a node that announced itself within the last lease TTL.
type NodeStatus struct {
	ID   string `json:"id"`
	Addr string `json:"addr,omitempty"`
}

// PartitionStatus is one partition: its owner, if any, and its journal.
type PartitionStatus struct {
	Partition int    `json:"partition"`
	Owner     string `json:"owner,omitempty"` // empty while no node holds the lease
	Addr      string `json:"addr,omitempty"`
	// Messages and Bytes are what the journal's stream holds (the log since
	// the last snapshot, plus markers).
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	// Leader is the NATS server leading the stream; Lag is the largest
	// number of operations a replica is behind it, and Offline the replicas
	// it cannot reach.
	Leader  string `json:"leader,omitempty"`
	Lag     uint64 `json:"lag"`
	Offline int    `json:"offline,omitempty"`
}

// ReadStatus reads the status of the cluster called name (default
// "sluice") through js. Partitions are those with a journal stream or a
// lease.
func ReadStatus(ctx context.Context, js jetstream.JetStream, name string) (Status, error) {
	name = cmp.Or(name, DefaultName)
	var st Status
	kv, err := js.KeyValue(ctx, "SLUICE_"+name+"_leases")
	if err != nil {
		return st, fmt.Errorf("cluster %q: lease bucket: %w", name, err)
	}
	keys, err := kv.Keys(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		return st, fmt.Errorf("cluster %q: list leases: %w", name, err)
	}
	parts := make(map[int]*PartitionStatus)
	part := func(p int) *PartitionStatus {
		if parts[p] == nil {
			parts[p] = &PartitionStatus{Partition: p}
		}
		return parts[p]
	}
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue // expired meanwhile
		}
		var l lease
		if json.Unmarshal(e.Value(), &l) != nil {
			continue
		}
		if id, ok := strings.CutPrefix(k, "node."); ok {
			st.Nodes = append(st.Nodes, NodeStatus{ID: id, Addr: l.Addr})
		} else if s, ok := strings.CutPrefix(k, "partition."); ok {
			if p, err := strconv.Atoi(s); err == nil {
				ps := part(p)
				ps.Owner, ps.Addr = l.Node, l.Addr
			}
		}
	}
	prefix := "SLUICE_" + name + "-p"
	names := js.StreamNames(ctx)
	for s := range names.Name() {
		p, err := strconv.Atoi(strings.TrimPrefix(s, prefix))
		if !strings.HasPrefix(s, prefix) || err != nil {
			continue
		}
		stream, err := js.Stream(ctx, s)
		if err != nil {
			return st, fmt.Errorf("cluster %q: stream %s: %w", name, s, err)
		}
		info := stream.CachedInfo()
		ps := part(p)
		ps.Messages, ps.Bytes = info.State.Msgs, info.State.Bytes
		if info.Cluster != nil {
			ps.Leader = info.Cluster.Leader
			for _, r := range info.Cluster.Replicas {
				ps.Lag = max(ps.Lag, r.Lag)
				if r.Offline {
					ps.Offline++
				}
			}
		}
	}
	if err := names.Err(); err != nil {
		return st, fmt.Errorf("cluster %q: list streams: %w", name, err)
	}
	for _, ps := range parts {
		st.Partitions = append(st.Partitions, *ps)
	}
	slices.SortFunc(st.Nodes, func(a, b NodeStatus) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(st.Partitions, func(a, b PartitionStatus) int { return a.Partition - b.Partition })
	return st, nil
}
