package main_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/client"
)

// binPath is the sluice binary TestMain builds for the tests to run.
var binPath string

// testVersion is the version TestMain links into the binary, as a release
// build would with -ldflags.
const testVersion = "v0.0.0-e2e"

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sluice-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", binPath,
		"-ldflags", "-X github.com/sluicehq/sluice/internal/cli.version="+testVersion, ".")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a `sluice serve` child process.
type proc struct {
	cmd    *exec.Cmd
	addr   string
	URL    string
	Client *client.Client

	mu     sync.Mutex // guards stderr
	stderr strings.Builder

	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // set before exited is closed
}

// startServe starts `sluice serve` on a loopback port with its data in
// dataDir and waits for its "listening" log line. The test's cleanup kills
// it if it is still running.
func startServe(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	p := &proc{exited: make(chan struct{})}
	p.cmd = exec.Command(binPath, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)...)
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if strings.Contains(line, "msg=listening") {
				if _, addr, ok := strings.Cut(line, "addr="); ok {
					select {
					case addrc <- strings.Fields(addr)[0]:
					default:
					}
				}
			}
		}
		io.Copy(io.Discard, pipe)
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("sluice serve stderr:\n%s", p.logs())
		}
	})
	select {
	case p.addr = <-addrc:
	case <-p.exited:
		t.Fatalf("sluice serve exited before listening: %v\n%s", p.waitErr, p.logs())
	case <-time.After(15 * time.Second):
		t.Fatalf("sluice serve did not log its address within 15s:\n%s", p.logs())
	}
	p.URL = "http://" + p.addr
	p.Client = client.New(p.URL)
	return p
}

// logs returns what the process has written to stderr so far.
func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// kill sends SIGKILL and waits for the process to die.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-p.exited
}

// terminate sends SIGTERM and returns the exit status, failing the test if
// the process has not exited within timeout.
func (p *proc) terminate(t *testing.T, timeout time.Duration) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("sluice serve still running %v after SIGTERM:\n%s", timeout, p.logs())
		return -1
	}
}

// runCLI runs the sluice binary with args and returns its exit status and
// output.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("run sluice %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}
