package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchJSON is the part of bench --json the tests check.
type benchJSON struct {
	Scenario string `json:"scenario"`
	Server   string `json:"server"`
	Load     struct {
		Sent       int64 `json:"sent"`
		Received   int64 `json:"received"`
		Lost       int64 `json:"lost"`
		Duplicated int64 `json:"duplicated"`
		Drained    bool  `json:"drained"`
		SendLat    struct {
			Count uint64 `json:"count"`
			P50   int64  `json:"p50_ns"`
			Max   int64  `json:"max_ns"`
		} `json:"send_latency"`
		E2ELat struct {
			Count uint64 `json:"count"`
		} `json:"end_to_end_latency"`
	} `json:"load"`
	SendRate float64 `json:"send_msgs_per_sec"`
	BaseRate float64 `json:"http_baseline_reqs_per_sec"`
	Ratio    float64 `json:"sluice_to_baseline_ratio"`
}

func runBenchJSON(t *testing.T, args ...string) benchJSON {
	t.Helper()
	r := runMain(t, "", append([]string{"bench", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("bench %s: exit %d\nstdout %s\nstderr %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	var b benchJSON
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil {
		t.Fatalf("bench --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	return b
}

func TestBenchEmbeddedDeliversEverything(t *testing.T) {
	b := runBenchJSON(t, "--duration", "500ms", "--producers", "2", "--consumers", "2", "--batch", "5", "--size", "100")
	if b.Server != "embedded" || b.Scenario != "throughput" {
		t.Errorf("server %q scenario %q, want embedded throughput", b.Server, b.Scenario)
	}
	l := b.Load
	if l.Sent == 0 || l.Received != l.Sent || l.Lost != 0 || !l.Drained {
		t.Errorf("load = %+v, want every confirmed message received and none lost", l)
	}
	if l.SendLat.Count == 0 || l.SendLat.P50 <= 0 || l.SendLat.Max < l.SendLat.P50 || l.E2ELat.Count < uint64(l.Received) {
		t.Errorf("latencies = %+v / %+v, want samples with p50 <= max", l.SendLat, l.E2ELat)
	}
	if b.SendRate <= 0 {
		t.Errorf("send rate = %v, want > 0", b.SendRate)
	}
}

func TestBenchCountAgainstAServer(t *testing.T) {
	f := setup(t)
	f.ok("queue", "create", "load.fifo")
	b := runBenchJSON(t, "--server", f.srv.URL, "--queue", "load.fifo", "--count", "300", "--batch", "10", "--producers", "3", "--consumers", "2")
	if l := b.Load; l.Sent != 300 || l.Received != 300 || l.Lost != 0 || l.Duplicated != 0 {
		t.Errorf("load on a FIFO queue = %+v, want 300 sent and received exactly once", l)
	}
	// The named queue existed, so bench keeps it.
	f.ok("queue", "get", "load.fifo")
}

func TestBenchTable(t *testing.T) {
	r := runMain(t, "", "bench", "--duration", "200ms", "--producers", "1", "--consumers", "1")
	if r.code != 0 {
		t.Fatalf("bench: exit %d stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"sent (confirmed)", "received (end to end)", "LOST", "DUPLICATED", "send (per request)", "end to end (send to receive)", "P99"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("bench table lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestBenchHTTPBaseline(t *testing.T) {
	b := runBenchJSON(t, "--scenario", "http-baseline", "--duration", "300ms", "--producers", "2")
	if b.BaseRate <= 0 || b.Ratio <= 0 || b.Load.Sent == 0 {
		t.Errorf("http-baseline = %+v, want both rates and their ratio", b)
	}
}

func TestBenchRejectsBadFlags(t *testing.T) {
	wantFailure(t, "bad scenario", runMain(t, "", "bench", "--scenario", "chaos"), 2, "--scenario")
	wantFailure(t, "bad batch", runMain(t, "", "bench", "--batch", "0"), 2, "--batch")
	wantFailure(t, "bad fsync", runMain(t, "", "bench", "--fsync", "x"), 2, "--fsync")
	wantFailure(t, "bad quiet rate", runMain(t, "", "bench", "--scenario", "noisy-neighbor", "--quiet-rate", "0"), 2, "--quiet-rate")
}

func TestBenchNoisyNeighbor(t *testing.T) {
	r := runMain(t, "", "bench", "--json", "--scenario", "noisy-neighbor", "--backlog", "2000", "--duration", "700ms",
		"--quiet-tenants", "4", "--quiet-rate", "20", "--noisy-rate", "100", "--work", "20ms", "--consumers", "1", "--fsync", "never")
	if r.code != 0 {
		t.Fatalf("bench noisy-neighbor: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Phases []struct {
			Fairness bool `json:"fairness"`
			Backlog  int  `json:"noisy_backlog"`
			Quiet    struct {
				Count uint64 `json:"count"`
			} `json:"quiet_wait"`
			Noisy struct {
				Count uint64 `json:"count"`
			} `json:"noisy_wait"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("bench --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	if len(rep.Phases) != 3 {
		t.Fatalf("phases = %+v, want baseline, fairness on, fairness off", rep.Phases)
	}
	base, fair, unfair := rep.Phases[0], rep.Phases[1], rep.Phases[2]
	if base.Quiet.Count == 0 || base.Noisy.Count != 0 {
		t.Errorf("baseline = %+v, want quiet deliveries only", base)
	}
	// One consumer takes 10 messages every 20ms: 2,000 queued take far
	// longer than the run. With fairness the quiet tenants are served
	// anyway; without, they wait behind the backlog.
	if !fair.Fairness || fair.Backlog < 2000 || fair.Quiet.Count == 0 || fair.Noisy.Count == 0 {
		t.Errorf("fairness on = %+v, want quiet and noisy deliveries over the backlog", fair)
	}
	if unfair.Fairness || unfair.Quiet.Count != 0 {
		t.Errorf("fairness off = %+v, want no quiet delivery behind the backlog", unfair)
	}
}
