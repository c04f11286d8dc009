package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/internal/journal/filejournal"
	"github.com/sluicehq/sluice/internal/server"
)

// benchFlags are the bench command's settings.
type benchFlags struct {
	server     string
	queue      string
	producers  int
	consumers  int
	size       int
	batch      int
	duration   time.Duration
	count      int
	fsync      string
	partitions int
	scenario   string
	drain      time.Duration
	json       bool
	noisy      noisyConfig
	tracked    bool
}

// benchReport is what bench prints, as a table or as JSON.
type benchReport struct {
	Scenario   string          `json:"scenario"`
	Server     string          `json:"server"`
	Fsync      string          `json:"fsync,omitempty"`
	Partitions int             `json:"partitions,omitempty"`
	Queue      string          `json:"queue"`
	Producers  int             `json:"producers"`
	Consumers  int             `json:"consumers"`
	Batch      int             `json:"batch"`
	Size       int             `json:"size"`
	Load       *loadResult     `json:"load,omitempty"`
	SendRate   float64         `json:"send_msgs_per_sec,omitempty"`
	E2ERate    float64         `json:"end_to_end_msgs_per_sec,omitempty"`
	Baseline   *baselineResult `json:"http_baseline,omitempty"`
	BaseRate   float64         `json:"http_baseline_reqs_per_sec,omitempty"`
	SluiceRate float64         `json:"sluice_send_reqs_per_sec,omitempty"`
	Ratio      float64         `json:"sluice_to_baseline_ratio,omitempty"`
}

func runBench(ctx context.Context, st *streams, args []string) error {
	c := newCmd("bench", "[flags]",
		`Measure a server. The throughput scenario runs --producers goroutines
sending batches of --batch messages of --size bytes, and --consumers
goroutines receiving and acknowledging them, for --duration or until --count
messages are sent; then it drains the queue and prints send and end-to-end
rates, latency percentiles, and the messages LOST (confirmed but never
delivered) and DUPLICATED (delivered more than once). The http-baseline
scenario measures a bare net/http handler on loopback with the same client
setup, then Sluice single-message sends with as many clients, and prints
both rates and their ratio. The noisy-neighbor scenario queues --backlog
messages of one tenant that keeps sending, while --quiet-tenants each send
--quiet-rate messages per second and --consumers take --work per batch; it
runs quiet tenants alone, then with the noisy one on a weighted-fair queue
and on a queue with fairness off, and prints each class's wait percentiles.
Without --server, bench starts a server in this
process on a loopback port with its data in a temporary directory.`,
		`sluice bench
		sluice bench --duration 30s --producers 8 --consumers 8 --batch 100
		sluice bench --batch 1 --fsync interval:10ms
		sluice bench --scenario http-baseline --producers 16
		sluice bench --scenario noisy-neighbor --backlog 1000000 --quiet-tenants 50
		sluice bench --server http://127.0.0.1:9324 --queue load --count 100000`)
	var f benchFlags
	c.fs.StringVar(&f.server, "server", "embedded", "server base `URL`, or embedded to start one in this process")
	c.fs.StringVar(&f.queue, "queue", "", "`queue` to use, created if missing (default bench-<random>, deleted afterwards)")
	c.fs.IntVar(&f.producers, "producers", 4, "concurrent senders")
	c.fs.IntVar(&f.consumers, "consumers", 4, "concurrent receivers")
	sizeFlag := c.sizeFlag("size", 256, "message body size")
	c.fs.IntVar(&f.batch, "batch", 10, "messages per send and per receive")
	duration := c.durationFlag("duration", 10*time.Second, "how long to send; with --count, the longest to send")
	c.fs.IntVar(&f.count, "count", 0, "send this many messages in all, then stop")
	c.fs.StringVar(&f.fsync, "fsync", "always", "embedded server's fsync policy: always, interval:DURATION or never")
	c.fs.IntVar(&f.partitions, "partitions", server.DefaultPartitions, "embedded server's partitions")
	c.fs.StringVar(&f.scenario, "scenario", "throughput", "`scenario`: throughput, http-baseline or noisy-neighbor")
	c.fs.IntVar(&f.noisy.backlog, "backlog", 100_000, "noisy-neighbor: the noisy tenant's messages queued before each phase")
	c.fs.IntVar(&f.noisy.quiet, "quiet-tenants", 20, "noisy-neighbor: quiet tenants")
	c.fs.Float64Var(&f.noisy.quietRate, "quiet-rate", 5, "noisy-neighbor: messages per second each quiet tenant sends")
	c.fs.Float64Var(&f.noisy.noisyRate, "noisy-rate", 1000, "noisy-neighbor: messages per second the noisy tenant keeps sending")
	work := c.durationFlag("work", 5*time.Millisecond, "noisy-neighbor: consumer time per received batch")
	drain := c.durationFlag("drain-timeout", 10*time.Second, "stop draining after this long without a delivery")
	c.fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
	c.fs.BoolVar(&f.tracked, "tracked", false, "create the queue tracked, so that every message is a task with a status")
	cpuProfile := c.fs.String("cpuprofile", "", "write a CPU profile of this process (bench and embedded server) to `file`")
	if _, err := c.parse(st, args, 0, 0); err != nil {
		return err
	}
	if *cpuProfile != "" {
		out, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer out.Close()
		if err := pprof.StartCPUProfile(out); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	f.size, f.duration, f.drain = *sizeFlag, *duration, *drain
	f.noisy.work = *work
	if f.count > 0 && !c.isSet("duration") {
		f.duration = 10 * time.Minute
	}
	if err := f.validate(); err != nil {
		return err
	}

	hc := newBenchHTTPClient(f.producers + f.consumers)
	defer hc.CloseIdleConnections()
	rep := benchReport{Scenario: f.scenario, Server: f.server, Producers: f.producers, Consumers: f.consumers, Batch: f.batch, Size: f.size}
	if f.scenario == "http-baseline" {
		rep.Consumers, rep.Batch = 0, 1
		base, err := runHTTPBaseline(ctx, hc, f.producers, f.duration)
		if err != nil {
			return err
		}
		rep.Baseline, rep.BaseRate = &base, base.rate()
	}

	url := f.server
	if f.server == "" || f.server == "embedded" {
		rep.Server, rep.Fsync, rep.Partitions = "embedded", f.fsync, f.partitions
		var stop func() error
		var err error
		url, stop, err = startEmbedded(ctx, f, st.stderr)
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(st.stderr, "sluice: embedded server: %v\n", err)
			}
		}()
	}
	cl := client.New(url, client.WithHTTPClient(hc))
	if f.scenario == "noisy-neighbor" {
		return benchNoisy(ctx, st, cl, f, rep.Server)
	}
	queue, fifo, cleanup, err := benchQueue(ctx, cl, f.queue, f.tracked)
	if err != nil {
		return err
	}
	defer cleanup()
	rep.Queue = queue

	cfg := loadConfig{
		queue: queue, fifo: fifo, run: randomHex(4),
		producers: f.producers, consumers: f.consumers, size: f.size, batch: f.batch,
		duration: f.duration, count: f.count, drain: f.drain,
	}
	if f.scenario == "http-baseline" {
		cfg.consumers, cfg.batch = 0, 1
	}
	res, err := runLoad(ctx, cl, cfg)
	rep.Load = &res
	rep.SendRate = perSecond(res.Sent, res.SendTime)
	rep.E2ERate = perSecond(res.Received, res.ReceiveTime)
	if rep.Baseline != nil {
		rep.SluiceRate = perSecond(res.SendRequests-res.SendErrors, res.SendTime)
		rep.Ratio = rep.SluiceRate / rep.BaseRate
	}
	if f.json {
		if jerr := printJSON(st.stdout, rep); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		printBench(st.stdout, rep)
	}
	if err != nil {
		return err
	}
	if res.Lost > 0 {
		return fmt.Errorf("bench: %d confirmed messages were never delivered", res.Lost)
	}
	return nil
}

func (f *benchFlags) validate() error {
	switch {
	case f.scenario != "throughput" && f.scenario != "http-baseline" && f.scenario != "noisy-neighbor":
		return usageErrorf("bench: --scenario %q: want throughput, http-baseline or noisy-neighbor", f.scenario)
	case f.noisy.backlog < 0 || f.noisy.quiet < 1 || f.noisy.quiet > 10_000:
		return usageErrorf("bench: --backlog must not be negative and --quiet-tenants must be 1 to 10000")
	case !(f.noisy.quietRate > 0 && f.noisy.quietRate <= 1000) || f.noisy.work < 0 || !(f.noisy.noisyRate >= 0 && f.noisy.noisyRate <= 1e6):
		return usageErrorf("bench: --quiet-rate must be above 0 and at most 1000, --noisy-rate 0 to 1000000, --work not negative")
	case f.producers < 1 || f.producers > 1024:
		return usageErrorf("bench: --producers %d is outside 1 to 1024", f.producers)
	case f.consumers < 0 || f.consumers > 1024:
		return usageErrorf("bench: --consumers %d is outside 0 to 1024", f.consumers)
	case f.batch < 1 || f.batch > 1000:
		return usageErrorf("bench: --batch %d is outside 1 to 1000", f.batch)
	case f.size < 1 || f.size > 1<<20:
		return usageErrorf("bench: --size %d is outside 1 to 1MiB", f.size)
	case f.count < 0:
		return usageErrorf("bench: --count must not be negative")
	case f.duration <= 0 || f.duration > 24*time.Hour:
		return usageErrorf("bench: --duration must be between 0 and 24h")
	case f.drain <= 0:
		return usageErrorf("bench: --drain-timeout must be positive")
	case f.partitions < 1 || f.partitions > 1024:
		return usageErrorf("bench: --partitions %d is outside 1 to 1024", f.partitions)
	}
	if _, err := filejournal.ParseSyncPolicy(f.fsync); err != nil {
		return usageErrorf("bench: --fsync %q: want always, never or interval:DURATION", f.fsync)
	}
	return nil
}

// startEmbedded starts a server in this process on a loopback port with
// its data in a new temporary directory. stop shuts it down and removes
// the directory.
func startEmbedded(ctx context.Context, f benchFlags, logw io.Writer) (url string, stop func() error, err error) {
	sync, err := filejournal.ParseSyncPolicy(f.fsync)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	srv, err := server.New(ctx, server.Config{
		Listener:   ln,
		DataDir:    dir,
		Partitions: f.partitions,
		Sync:       sync,
		Logger:     slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start embedded server: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx) }()
	stop = func() error {
		cancel()
		err := <-done
		return errors.Join(err, os.RemoveAll(dir))
	}
	url = "http://" + srv.Addr().String()
	if err := waitReady(ctx, url, 10*time.Second); err != nil {
		return "", nil, errors.Join(err, stop())
	}
	return url, stop, nil
}

// waitReady polls url's /readyz until it answers 200 or timeout passes.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server at %s not ready after %v", url, timeout)
		case <-tick.C:
		}
	}
}

// benchQueue returns the queue to load: name when it exists, else a new
// queue of that name, or a new bench-<random> queue when name is empty.
// cleanup deletes the queue if benchQueue created it.
func benchQueue(ctx context.Context, cl *client.Client, name string, tracked bool) (queue string, fifo bool, cleanup func(), err error) {
	cleanup = func() {}
	if name != "" {
		q, err := cl.GetQueue(ctx, name)
		if err == nil {
			return q.Name, q.Type == sluice.FIFO, cleanup, nil
		}
		if !errors.Is(err, sluice.ErrQueueNotFound) {
			return "", false, nil, err
		}
	} else {
		name = "bench-" + randomHex(4)
	}
	cfg := sluice.QueueConfig{Name: name}
	if tracked {
		cfg.Tasks = &sluice.TaskPolicy{}
	}
	q, err := cl.CreateQueue(ctx, cfg)
	if err != nil {
		return "", false, nil, fmt.Errorf("create bench queue: %w", err)
	}
	cleanup = func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		cl.DeleteQueue(dctx, q.Name)
	}
	return q.Name, q.Type == sluice.FIFO, cleanup, nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// printBench writes rep as aligned tables.
func printBench(w io.Writer, rep benchReport) {
	server := rep.Server
	if rep.Server == "embedded" {
		server = fmt.Sprintf("embedded (fsync %s, %d partitions)", rep.Fsync, rep.Partitions)
	}
	fmt.Fprintf(w, "scenario %s: %d producers, %d consumers, batch %d, %d-byte bodies\nserver %s, queue %s\n\n",
		rep.Scenario, rep.Producers, rep.Consumers, rep.Batch, rep.Size, server, rep.Queue)
	tw := newTable(w)
	if b := rep.Baseline; b != nil && rep.Load != nil {
		l := rep.Load
		fmt.Fprintf(tw, "\tREQUESTS\tREQ/S\tP50\tP90\tP99\tMAX\n")
		fmt.Fprintf(tw, "bare net/http POST\t%d\t%.0f\t%s\n", b.Requests, rep.BaseRate, latencyCols(b.Latency))
		fmt.Fprintf(tw, "sluice send (batch 1)\t%d\t%.0f\t%s\n", l.SendRequests-l.SendErrors, rep.SluiceRate, latencyCols(l.SendLatency))
		tw.Flush()
		fmt.Fprintf(w, "\nsluice / baseline request rate: %.2f\n", rep.Ratio)
		return
	}
	l := rep.Load
	if l == nil {
		return
	}
	fmt.Fprintf(tw, "\tMESSAGES\tMSG/S\tTIME\n")
	fmt.Fprintf(tw, "sent (confirmed)\t%d\t%.0f\t%s\n", l.Sent, rep.SendRate, l.SendTime.Round(time.Millisecond))
	fmt.Fprintf(tw, "received (end to end)\t%d\t%.0f\t%s\n", l.Received, rep.E2ERate, l.ReceiveTime.Round(time.Millisecond))
	fmt.Fprintf(tw, "LOST\t%d\t\t\n", l.Lost)
	fmt.Fprintf(tw, "DUPLICATED\t%d\t\t\n", l.Duplicated)
	tw.Flush()
	var notes []string
	for _, n := range []struct {
		v    int64
		what string
	}{
		{l.SendErrors, "failed send requests"},
		{l.RecvErrors, "failed receive requests"},
		{l.AckErrors, "failed acks"},
		{l.Unconfirmed, "delivered messages whose send was not confirmed"},
		{l.Foreign, "delivered messages from other runs"},
	} {
		if n.v > 0 {
			notes = append(notes, fmt.Sprintf("%d %s", n.v, n.what))
		}
	}
	if !l.Drained && rep.Consumers > 0 {
		notes = append(notes, "the queue did not drain before --drain-timeout")
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "note: %s\n", strings.Join(notes, "; "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(tw, "LATENCY\tSAMPLES\tP50\tP90\tP99\tMAX\n")
	fmt.Fprintf(tw, "send (per request)\t%d\t%s\n", l.SendLatency.Count, latencyCols(l.SendLatency))
	fmt.Fprintf(tw, "end to end (send to receive)\t%d\t%s\n", l.E2ELatency.Count, latencyCols(l.E2ELatency))
	tw.Flush()
}

// latencyCols formats a summary's percentiles as tab-separated columns.
func latencyCols(s latencySummary) string {
	return strings.Join([]string{formatLatency(s.P50), formatLatency(s.P90), formatLatency(s.P99), formatLatency(s.Max)}, "\t")
}

// benchNoisy runs the noisy-neighbor scenario and prints its report.
func benchNoisy(ctx context.Context, st *streams, cl *client.Client, f benchFlags, server string) error {
	cfg := f.noisy
	cfg.producers, cfg.consumers, cfg.batch, cfg.size, cfg.duration = f.producers, f.consumers, f.batch, f.size, f.duration
	if cfg.consumers < 1 {
		return usageErrorf("bench: noisy-neighbor needs at least one consumer")
	}
	phases, err := runNoisyNeighbor(ctx, cl, cfg)
	rep := noisyReport{
		Scenario: f.scenario, Server: server, Quiet: cfg.quiet, QuietRate: cfg.quietRate, NoisyRate: cfg.noisyRate,
		Consumers: cfg.consumers, Batch: cfg.batch, Work: cfg.work.String(), Phases: phases,
	}
	if len(phases) >= 2 && phases[0].Quiet.P99 > 0 {
		rep.QuietP99Ratio = float64(phases[1].Quiet.P99) / float64(phases[0].Quiet.P99)
	}
	if f.json {
		if jerr := printJSON(st.stdout, rep); jerr != nil {
			return errors.Join(err, jerr)
		}
	} else {
		printNoisy(st.stdout, rep)
	}
	return err
}
