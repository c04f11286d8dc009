package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sluicehq/sluice/internal/cluster"
)

func runClusterStatus(ctx context.Context, st *streams, args []string) error {
	c := newCmd("cluster status", "[flags]",
		`Show a cluster's nodes, its partitions with their owners, and each
partition journal's size, stream leader and replica lag, as the cluster's
NATS JetStream servers hold them. A partition without an owner is being
taken over (or no node is up).`,
		`sluice cluster status --nats nats://127.0.0.1:4222
		SLUICE_NATS=nats://n1:4222,nats://n2:4222 sluice cluster status --json`)
	urls := c.fs.String("nats", envOr("SLUICE_NATS", nats.DefaultURL), "NATS server `URLs`, comma-separated ($SLUICE_NATS)")
	name := c.fs.String("cluster-name", envOr("SLUICE_CLUSTER_NAME", cluster.DefaultName), "the cluster's `name` ($SLUICE_CLUSTER_NAME)")
	asJSON := c.fs.Bool("json", false, "print JSON")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	nc, err := nats.Connect(*urls, nats.Name("sluice cluster status"), nats.Timeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("connect to NATS at %s: %w", *urls, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	status, err := cluster.ReadStatus(ctx, js, *name)
	if err != nil {
		return err
	}
	return printClusterStatus(st.stdout, *asJSON, status)
}

func printClusterStatus(w io.Writer, asJSON bool, s cluster.Status) error {
	if asJSON {
		return printJSON(w, s)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "NODE\tADDRESS\n")
	for _, n := range s.Nodes {
		fmt.Fprintf(tw, "%s\t%s\n", n.ID, orDash(n.Addr))
	}
	fmt.Fprintf(tw, "\nPARTITION\tOWNER\tADDRESS\tMESSAGES\tBYTES\tLEADER\tLAG\tOFFLINE\n")
	for _, p := range s.Partitions {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%d\t%d\n", p.Partition, orDash(p.Owner), orDash(p.Addr),
			p.Messages, formatSize(int64(p.Bytes)), orDash(p.Leader), p.Lag, p.Offline)
	}
	return tw.Flush()
}
