package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/dashboard"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/metrics"
	"github.com/sluicehq/sluice/internal/server"
)

// benchServer starts a server without fsync holding queues queues, one
// message in every tenth, a topic per hundred queues with two
// subscriptions, and a queue "tenants" holding tenantMsgs messages of as
// many tenants, the first thousand of them received (in flight, with wait
// samples), and two tiers.
func benchServer(b *testing.B, queues, tenantMsgs int, m metrics.Options) string {
	b.Helper()
	ctx, stop := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Config{
		Listen: "127.0.0.1:0", DataDir: b.TempDir(), Sync: filejournal.SyncNever, Metrics: m,
		Dashboard: dashboard.Options{SampleInterval: time.Second},
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	b.Cleanup(func() {
		stop()
		<-done
	})
	url := "http://" + srv.Addr().String()
	c := client.New(url)
	for c.Health(ctx) != nil {
		time.Sleep(10 * time.Millisecond)
	}
	for i := range queues {
		name := fmt.Sprintf("queue-%05d", i)
		if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: name}); err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := c.Send(ctx, name, sluice.SendInput{Body: []byte("x")}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := 0; i < queues; i += 100 {
		topic := fmt.Sprintf("topic-%05d", i)
		if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: topic}); err != nil {
			b.Fatal(err)
		}
		for _, q := range []int{i, i + 1} {
			if q >= queues {
				continue
			}
			sub := sluice.Subscription{Topic: topic, Protocol: sluice.ProtocolQueue, Endpoint: fmt.Sprintf("queue-%05d", q)}
			if _, err := c.Subscribe(ctx, sub); err != nil {
				b.Fatal(err)
			}
		}
	}
	if tenantMsgs > 0 {
		if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "tenants"}); err != nil {
			b.Fatal(err)
		}
		batch := make([]sluice.SendInput, 0, 1000)
		for i := range tenantMsgs {
			batch = append(batch, sluice.SendInput{Body: []byte("x"), Tenant: "tenant-" + strconv.Itoa(i)})
			if len(batch) == cap(batch) || i == tenantMsgs-1 {
				if _, err := c.SendBatch(ctx, "tenants", batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		zero, minute := time.Duration(0), time.Minute
		for range min(tenantMsgs, 1000) / 10 {
			if _, err := c.Receive(ctx, "tenants", sluice.ReceiveOptions{Max: 10, WaitTime: &zero, VisibilityTimeout: &minute}); err != nil {
				b.Fatal(err)
			}
		}
		for _, t := range []sluice.Tier{{Name: "free", Policy: sluice.TenantPolicy{Rate: 10}}, {Name: "pro", Policy: sluice.TenantPolicy{Weight: 4}}} {
			if _, err := c.SetTier(ctx, t); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.SetTenant(ctx, sluice.TenantConfig{Tenant: "tenant-5", Tier: "pro"}); err != nil {
			b.Fatal(err)
		}
	}
	return url
}

// benchGet measures GET url, failing unless it answers 200.
func benchGet(b *testing.B, url string) {
	b.Helper()
	hc := &http.Client{}
	var size int64
	b.ResetTimer()
	for b.Loop() {
		resp, err := hc.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		size, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s = %d", url, resp.StatusCode)
		}
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkObservability measures /metrics and the dashboard's pages with
// 10 and 10,000 queues, with and without a queue of 100,000 tenants'
// messages, against /healthz as the baseline of one HTTP round trip.
func BenchmarkObservability(b *testing.B) {
	for _, size := range []struct{ queues, tenants int }{{10, 0}, {10, 100000}, {10000, 100000}} {
		var url string
		parent := b
		// The server lives as long as the whole benchmark: it is started
		// once, by the first sub-benchmark that needs it.
		setup := func() string {
			if url == "" {
				url = benchServer(parent, size.queues, size.tenants, metrics.Options{})
			}
			return url
		}
		for _, page := range []struct {
			name, path string
			tenants    bool // only with tenants
		}{
			{"healthz", "/healthz", false},
			{"metrics", "/metrics", false},
			{"overview", "/ui/", false},
			{"overview-json", "/ui/api/queues", false},
			{"overview-search", "/ui/?q=queue-09&sort=depth", false},
			{"overview-last-page", "/ui/?page=200", false},
			{"queue", "/ui/queues/queue-00001", false},
			{"queue-json", "/ui/api/queues/queue-00001", false},
			{"tenants-queue", "/ui/queues/tenants", true},
			{"tenants-queue-json", "/ui/api/queues/tenants", true},
			{"tenants-search", "/ui/queues/tenants?tq=tenant-9999", true},
			{"tenants-last-page", "/ui/queues/tenants?tpage=2000", true},
			{"tenant", "/ui/queues/tenants/tenant?t=tenant-5", true},
			{"tiers", "/ui/tiers", false},
			{"topics", "/ui/topics", false},
		} {
			if page.tenants && size.tenants == 0 {
				continue
			}
			b.Run(fmt.Sprintf("queues=%d/tenants=%d/%s", size.queues, size.tenants, page.name), func(b *testing.B) {
				benchGet(b, setup()+page.path)
			})
		}
	}
	b.Run("queues=10000/tenants=0/metrics-uncapped", func(b *testing.B) {
		benchGet(b, benchServer(b, 10000, 0, metrics.Options{MaxQueues: 10000, MaxTopics: 10000})+"/metrics")
	})
}
