package sqsapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

// Message move tasks redrive a dead-letter queue through the engine's
// Redrive, in chunks, at an optional rate. Tasks live in memory: a
// restart forgets them (a running one stops; what it moved stays moved).

// Move task statuses, as SQS names them.
const (
	taskRunning    = "RUNNING"
	taskCompleted  = "COMPLETED"
	taskCancelling = "CANCELLING"
	taskCancelled  = "CANCELLED"
	taskFailed     = "FAILED"
)

// moveChunk is how many messages one Redrive call moves when no rate is set.
const moveChunk = 100

type moveTask struct {
	handle             string
	source, dest       string // queue names; dest empty means each message's source
	sourceARN, destARN string
	rate               *int
	started            time.Time
	toMove             int64
	cancel             context.CancelFunc

	// guarded by moveTasks.mu
	status  string
	moved   int64
	failure string
}

type moveTasks struct {
	mu   sync.Mutex  // guards list and the tasks' status, moved and failure
	list []*moveTask // oldest first
}

func (ts *moveTasks) running(source string) bool {
	for _, t := range ts.list {
		if t.source == source && (t.status == taskRunning || t.status == taskCancelling) {
			return true
		}
	}
	return false
}

func (h *Handler) startMoveTask(r *awswire.Request) (any, error) {
	var in startMoveTaskInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.SourceArn == "" {
		return nil, awswire.MissingParameter("SourceArn")
	}
	source, err := queueOfARN("SourceArn", in.SourceArn)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	st, err := h.engine.Stats(ctx, source)
	if errors.Is(err, sluice.ErrQueueNotFound) {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	} else if err != nil {
		return nil, err
	}
	srcs, err := h.deadLetterSources(ctx, source)
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, awswire.InvalidParameter("Source queue must be configured as a Dead Letter Queue.")
	}
	t := &moveTask{source: source, sourceARN: in.SourceArn, started: time.Now(), toMove: int64(st.Visible), status: taskRunning}
	if in.DestinationArn != "" {
		if t.dest, err = queueOfARN("DestinationArn", in.DestinationArn); err != nil {
			return nil, err
		}
		if _, err := h.engine.GetQueue(ctx, t.dest); errors.Is(err, sluice.ErrQueueNotFound) {
			return nil, resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.")
		} else if err != nil {
			return nil, err
		}
		t.destARN = in.DestinationArn
	}
	if p := in.MaxNumberOfMessagesPerSecond; p != nil {
		if *p < 1 || *p > 500 {
			return nil, awswire.InvalidParameterValue("MaxNumberOfMessagesPerSecond", itoa(*p), "Must be between 1 and 500.")
		}
		t.rate = p
	}
	t.handle = base64.StdEncoding.EncodeToString([]byte(rand.Text() + ":" + in.SourceArn))
	h.tasks.mu.Lock()
	if h.tasks.running(source) {
		h.tasks.mu.Unlock()
		return nil, unsupported("There is already a message movement task running on the source queue.")
	}
	h.tasks.list = append(h.tasks.list, t)
	h.tasks.mu.Unlock()

	tctx, cancel := context.WithCancel(h.ctx)
	t.cancel = cancel
	h.wg.Go(func() {
		defer cancel()
		h.runMoveTask(tctx, t)
	})
	return taskHandleOutput{TaskHandle: t.handle}, nil
}

// runMoveTask moves messages until the source has none ready, the task is
// cancelled, or a move fails.
func (h *Handler) runMoveTask(ctx context.Context, t *moveTask) {
	chunk := moveChunk
	if t.rate != nil {
		chunk = *t.rate
	}
	finish := func(status, failure string) {
		h.tasks.mu.Lock()
		t.status, t.failure = status, failure
		h.tasks.mu.Unlock()
	}
	for {
		n, err := h.engine.Redrive(ctx, t.source, sluice.RedriveOptions{Destination: t.dest, Max: chunk})
		h.tasks.mu.Lock()
		t.moved += int64(n)
		h.tasks.mu.Unlock()
		switch {
		case ctx.Err() != nil:
			finish(taskCancelled, "")
			return
		case errors.Is(err, sluice.ErrNotDeadLetterQueue):
			finish(taskFailed, "A message in the source queue did not come from another queue; give a DestinationArn.")
			return
		case err != nil:
			h.log.Warn("message move task failed", "source", t.source, "error", err)
			finish(taskFailed, err.Error())
			return
		case n == 0:
			finish(taskCompleted, "")
			return
		}
		if t.rate != nil {
			timer := time.NewTimer(time.Second)
			select {
			case <-ctx.Done():
				timer.Stop()
				finish(taskCancelled, "")
				return
			case <-timer.C:
			}
		}
	}
}

func (h *Handler) cancelMoveTask(r *awswire.Request) (any, error) {
	var in cancelMoveTaskInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.TaskHandle == "" {
		return nil, awswire.MissingParameter("TaskHandle")
	}
	h.tasks.mu.Lock()
	var t *moveTask
	for _, x := range h.tasks.list {
		if x.handle == in.TaskHandle {
			t = x
		}
	}
	if t == nil {
		h.tasks.mu.Unlock()
		return nil, resourceNotFound("Task does not exist.")
	}
	if t.status != taskRunning {
		h.tasks.mu.Unlock()
		return nil, unsupported("Only a running task can be cancelled; this one is " + t.status + ".")
	}
	t.status = taskCancelling
	moved := t.moved
	h.tasks.mu.Unlock()
	t.cancel()
	return cancelMoveTaskOutput{ApproximateNumberOfMessagesMoved: moved}, nil
}

func (h *Handler) listMoveTasks(r *awswire.Request) (any, error) {
	var in listMoveTasksInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.SourceArn == "" {
		return nil, awswire.MissingParameter("SourceArn")
	}
	source, err := queueOfARN("SourceArn", in.SourceArn)
	if err != nil {
		return nil, err
	}
	if _, err := h.engine.GetQueue(r.HTTP.Context(), source); errors.Is(err, sluice.ErrQueueNotFound) {
		return nil, resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.")
	} else if err != nil {
		return nil, err
	}
	max := 1
	if p := in.MaxResults; p != nil {
		if *p < 1 || *p > 10 {
			return nil, awswire.InvalidParameterValue("MaxResults", itoa(*p), "Must be between 1 and 10.")
		}
		max = *p
	}
	out := listMoveTasksOutput{Results: []moveTaskEntry{}}
	h.tasks.mu.Lock()
	defer h.tasks.mu.Unlock()
	for i := len(h.tasks.list) - 1; i >= 0 && len(out.Results) < max; i-- {
		t := h.tasks.list[i]
		if t.source != source {
			continue
		}
		e := moveTaskEntry{
			Status: t.status, SourceArn: t.sourceARN, DestinationArn: t.destARN, MaxNumberOfMessagesPerSecond: t.rate,
			ApproximateNumberOfMessagesMoved: t.moved, FailureReason: t.failure, StartedTimestamp: t.started.UnixMilli(),
		}
		if t.status == taskRunning {
			e.TaskHandle = t.handle
			toMove := t.toMove
			e.ApproximateNumberOfMessagesToMove = &toMove
		}
		out.Results = append(out.Results, e)
	}
	return out, nil
}

// deadLetterSources returns the queues whose dead-letter queue is name.
func (h *Handler) deadLetterSources(ctx context.Context, name string) ([]string, error) {
	var out []string
	after := ""
	for {
		qs, err := h.engine.ListQueues(ctx, "", after, 1000)
		if err != nil {
			return nil, err
		}
		for _, q := range qs {
			if q.DeadLetter != nil && q.DeadLetter.Queue == name {
				out = append(out, q.Name)
			}
		}
		if len(qs) < 1000 {
			return out, nil
		}
		after = qs[len(qs)-1].Name
	}
}
