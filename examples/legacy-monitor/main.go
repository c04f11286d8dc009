// Command legacy-monitor is the seed's Task Monitor story, runnable, with
// an hour squeezed into a tenth of a second. A legacy scheduler publishes
// an hourly-report job to a topic; the topic feeds the queue the old job
// processor has always read, so nothing changes for it. The processor
// records each finished report in its database, which answers
// GET /reports/{id}/status, but now and then it crashes mid-job and the
// report is lost without a trace. A Task Monitor watch subscribes to the
// same topic, polls the status URL of every job it saw start, and an alert
// rule reports the jobs still running long after they should have
// finished: the lost ones.
//
//	go run ./examples/legacy-monitor              # starts a server in this process
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/client"
	"github.com/sluicehq/sluice/examples/internal/embedded"
	"github.com/sluicehq/sluice/internal/server"
)

// hour is how long an hour of the scheduler lasts here.
const hour = 100 * time.Millisecond

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	url, shutdown, err := embedded.Start(ctx, server.Config{MonitorInterval: hour, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		return err
	}
	defer shutdown()
	c := client.New(url)

	// The legacy side. The scheduler now publishes to a topic instead of
	// sending to the queue; the topic feeds that queue.
	if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: "report-jobs"}); err != nil {
		return err
	}
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "legacy-jobs"}); err != nil {
		return err
	}
	if _, err := c.Subscribe(ctx, sluice.Subscription{Topic: "report-jobs", Protocol: sluice.ProtocolQueue, Endpoint: "legacy-jobs", Raw: true}); err != nil {
		return err
	}
	db := &database{done: map[string]bool{}}
	dbURL, stopDB, err := db.serve()
	if err != nil {
		return err
	}
	defer stopDB()

	// The Task Monitor side: a watch of the same topic that asks the
	// legacy database for each job's status every second, and a rule for
	// jobs still running after five seconds (a job takes a quarter of an
	// hour here, under 30ms), sending its alerts to a topic the operator's
	// queue subscribes to.
	if _, err := c.PutWatch(ctx, sluice.Watch{Name: "hourly-reports", StartTopic: "report-jobs", IDPath: "report",
		StatusURL: dbURL + "/reports/{id}/status", PollInterval: time.Second, DoneMatch: `"complete"`}); err != nil {
		return err
	}
	if _, err := c.CreateTopic(ctx, sluice.TopicConfig{Name: "report-alerts"}); err != nil {
		return err
	}
	if _, err := c.CreateQueue(ctx, sluice.QueueConfig{Name: "on-call"}); err != nil {
		return err
	}
	if _, err := c.Subscribe(ctx, sluice.Subscription{Topic: "report-alerts", Protocol: sluice.ProtocolQueue, Endpoint: "on-call", Raw: true}); err != nil {
		return err
	}
	if _, err := c.PutRule(ctx, sluice.AlertRule{Name: "report-lost", Queue: "watch:hourly-reports", Condition: sluice.CondRunningAge,
		Threshold: 5 * time.Second, Topic: "report-alerts", Labels: map[string]string{"team": "reports"}}); err != nil {
		return err
	}

	// A day of the legacy system: the processor crashes on the reports of
	// 03:00, 11:00 and 19:00.
	procCtx, stopProc := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { processor(procCtx, c, db, map[string]bool{"03": true, "11": true, "19": true}) })
	defer func() { stopProc(); wg.Wait() }()
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for h := range 24 {
		id := "report-" + day.Add(time.Duration(h)*time.Hour).Format("2006-01-02T15")
		body, _ := json.Marshal(map[string]string{"report": id, "customer": "acme"})
		if _, err := c.Publish(ctx, "report-jobs", sluice.PublishInput{Body: body}); err != nil {
			return err
		}
		time.Sleep(hour)
	}
	fmt.Fprintln(out, "scheduler published 24 hourly reports")

	// The operator's side: read the alerts until the three lost reports
	// are known (or give up after a while).
	lost := map[string]bool{}
	wait := time.Second
	deadline := time.Now().Add(30 * time.Second)
	for len(lost) < 3 && time.Now().Before(deadline) {
		msgs, err := c.Receive(ctx, "on-call", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			var n struct{ Status, Task, Summary string }
			if err := json.Unmarshal(m.Body, &n); err != nil {
				return err
			}
			if n.Status == "firing" {
				lost[n.Task] = true
			}
			if err := c.Ack(ctx, "on-call", m.Receipt); err != nil {
				return err
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(lost)) {
		fmt.Fprintf(out, "alert: %s is still running: lost\n", id)
	}

	// The same answer from the monitor's buckets and listings.
	ages, err := c.TaskAges(ctx, "watch:hourly-reports", false)
	if err != nil {
		return err
	}
	if len(ages) == 1 {
		fmt.Fprintf(out, "monitor: %d of the day's reports still running\n", ages[0].Running)
	}
	return nil
}

// processor is the legacy job processor: it reads jobs from its queue,
// works on each for a little while and records it in the database, unless
// it crashes on it.
func processor(ctx context.Context, c *client.Client, db *database, crashes map[string]bool) {
	wait := time.Second
	for ctx.Err() == nil {
		msgs, err := c.Receive(ctx, "legacy-jobs", sluice.ReceiveOptions{Max: 10, WaitTime: &wait})
		if err != nil {
			continue
		}
		for _, m := range msgs {
			var job struct{ Report string }
			json.Unmarshal(m.Body, &job)
			time.Sleep(hour / 4)
			hourOfDay := job.Report[len(job.Report)-2:]
			if !crashes[hourOfDay] {
				db.finish(job.Report)
			}
			// Crashed or not, the job leaves the queue: the old code
			// deleted it on receipt.
			c.Ack(ctx, "legacy-jobs", m.Receipt)
		}
	}
}

// database is the legacy system's record of finished reports, answering
// GET /reports/{id}/status.
type database struct {
	mu   sync.Mutex
	done map[string]bool
}

func (db *database) finish(id string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.done[id] = true
}

func (db *database) serve() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /reports/{id}/status", func(w http.ResponseWriter, r *http.Request) {
		db.mu.Lock()
		done := db.done[r.PathValue("id")]
		db.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"state":%q}`, cmp.Or(map[bool]string{true: "complete"}[done], "unknown"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}
