package cluster

import "testing"

func TestPlacementKey(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"orders", "orders"},
		{"orders__dlq", "orders"},
		{"orders__dlq__old", "orders"},
		{"orders.fifo", "orders"},
		{"orders__dlq.fifo", "orders"},
		{"__x", "__x"}, // nothing before "__": the whole name
		{"a_b", "a_b"},
	} {
		if got := PlacementKey(tc.name); got != tc.want {
			t.Errorf("PlacementKey(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if Partition("orders", 7) != Partition("orders__events", 7) {
		t.Error("orders and orders__events are on different partitions")
	}
}
