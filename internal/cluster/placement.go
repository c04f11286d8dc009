package cluster

import "github.com/sluicehq/sluice"

// Work that crosses queues — dead-lettering, redriving, a topic's copies
// to its subscribed queues — runs inside one engine, whose two-step moves
// and joined publishes give their guarantees (docs/cluster.md). In cluster
// mode each partition is its own engine, so the Router refuses, naming the
// field, any setting that would make such work cross partitions; names
// sharing a placement key (PlacementKey) share a partition.

// colocated returns nil when the queue or topic other, named by field, is
// on name's partition, and otherwise an error saying how to place it.
func (r *Router) colocated(field, name, other string) error {
	if other == "" {
		return nil
	}
	pn, po := r.n.Partition(name), r.n.Partition(other)
	if pn == po {
		return nil
	}
	return sluice.Invalid(field,
		"%q is on partition %d and %q on partition %d; in cluster mode they must share a partition: give them the same placement key, the part of the name before %q (such as %s and %s__dlq)",
		other, po, name, pn, "__", PlacementKey(name), PlacementKey(name))
}

func (r *Router) checkQueuePlacement(name string, dl *sluice.DeadLetterPolicy) error {
	if dl == nil {
		return nil
	}
	return r.colocated("dead_letter.queue", name, dl.Queue)
}

func (r *Router) checkSubscriptionPlacement(s sluice.Subscription) error {
	if s.Protocol == sluice.ProtocolQueue {
		if err := r.colocated("endpoint", s.Topic, s.Endpoint); err != nil {
			return err
		}
	}
	return r.colocated("dead_letter_queue", s.Topic, s.DeadLetterQueue)
}
