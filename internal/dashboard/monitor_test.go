package dashboard_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// TestMonitorPageBadInput checks that bad query parameters give a page
// that says what is wrong, never a failure.
func TestMonitorPageBadInput(t *testing.T) {
	l := setup(t, time.Second)
	l.queue(t, sluice.QueueConfig{Name: "reports", Tasks: &sluice.TaskPolicy{}})
	l.send(t, "reports", "acme", "r1")
	for _, c := range []struct{ path, want string }{
		{"/ui/monitor", `data-chart="reports"`},
		{"/ui/monitor?queue=reports&kind=waiting&over=0s", `data-task=`},
		{"/ui/monitor?queue=reports&kind=running&over=soon", "bad age range"},
		{"/ui/monitor?queue=reports&kind=sleepy", "sleepy"},
		{"/ui/monitor?queue=reports&task=nope", "task not found"},
		{"/ui/monitor?queue=watch:nope&task=x", "watch not found"},
		{"/ui/monitor?queue=reports", `data-chart="reports/acme"`},
	} {
		code, body := l.get(t, c.path)
		if code != http.StatusOK || !strings.Contains(body, c.want) {
			t.Errorf("GET %s = %d, want 200 with %q in:\n%s", c.path, code, c.want, body)
		}
	}
	if code, _ := l.get(t, "/ui/monitor/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /ui/monitor/nothing = %d", code)
	}
}
