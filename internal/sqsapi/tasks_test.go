package sqsapi_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluicehq/sluice"
)

// status returns a task's status through the native API.
func (f *fixture) status(queue, id string) sluice.TaskStatus {
	f.t.Helper()
	s, err := f.srv.Client.Task(f.ctx, queue, id)
	if err != nil {
		f.t.Fatalf("Task(%s, %s) = %v", queue, id, err)
	}
	return s
}

func wantTask(t *testing.T, s sluice.TaskStatus, state sluice.TaskState, attempt int) {
	t.Helper()
	if s.State != state || s.Attempt != attempt {
		t.Errorf("task %s: state %s attempt %d, want %s attempt %d (%+v)", s.ID, s.State, s.Attempt, state, attempt, s)
	}
}

// receiveOne receives one message, waiting up to wait for it.
func (f *fixture) receiveOne(url string, wait int32, visibility int32) types.Message {
	f.t.Helper()
	out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: wait, VisibilityTimeout: visibility,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil || len(out.Messages) != 1 {
		f.t.Fatalf("ReceiveMessage = %v, %v; want one message", out, err)
	}
	return out.Messages[0]
}

// A message sent through SQS to a tracked queue is a task: its MessageId is
// the task id, receives are attempts, DeleteMessage completes it.
func TestTrackedQueueThroughSQS(t *testing.T) {
	f := setup(t)
	if _, err := f.srv.Client.CreateQueue(f.ctx, sluice.QueueConfig{Name: "jobs", Tasks: &sluice.TaskPolicy{MaxAttempts: 3}}); err != nil {
		t.Fatal(err)
	}
	url := f.createQueue("jobs", nil)

	sent, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("resize"), MessageGroupId: aws.String("acme")})
	if err != nil {
		t.Fatal(err)
	}
	id := *sent.MessageId
	s := f.status("jobs", id)
	wantTask(t, s, sluice.TaskQueued, 0)
	if s.Tenant != "acme" {
		t.Errorf("task tenant = %q, want acme (its MessageGroupId)", s.Tenant)
	}

	m := f.receiveOne(url, 0, 30)
	s = f.status("jobs", id)
	wantTask(t, s, sluice.TaskRunning, 1)
	if s.LeaseDeadline.IsZero() || s.StartedAt.IsZero() {
		t.Errorf("running task = %+v, want a start and a lease deadline", s)
	}
	if _, err := f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	s = f.status("jobs", id)
	wantTask(t, s, sluice.TaskSucceeded, 1)
	if s.FinishedAt.IsZero() || s.Tenant != "acme" {
		t.Errorf("succeeded task = %+v, want a finish time and tenant acme", s)
	}

	// PurgeQueue ends waiting tasks as purged.
	sent, err = f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("crop")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sqs.PurgeQueue(f.ctx, &sqs.PurgeQueueInput{QueueUrl: &url}); err != nil {
		t.Fatal(err)
	}
	wantTask(t, f.status("jobs", *sent.MessageId), sluice.TaskPurged, 0)
}

// A visibility timeout that runs out counts an attempt, as does a receive
// put back with ChangeMessageVisibility 0; a RedrivePolicy's
// maxReceiveCount lower than the task policy's attempts ends the task
// dead in the dead-letter queue after that many receives.
func TestTrackedQueueVisibilityExpiryThroughSQS(t *testing.T) {
	f := setup(t)
	if _, err := f.srv.Client.CreateQueue(f.ctx, sluice.QueueConfig{Name: "jobs", Tasks: &sluice.TaskPolicy{}}); err != nil {
		t.Fatal(err)
	}
	url := f.createQueue("jobs", nil)
	dlq := f.createQueue("jobs-dlq", nil)
	if _, err := f.sqs.SetQueueAttributes(f.ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":2}`}}); err != nil {
		t.Fatal(err)
	}
	sent, err := f.sqs.SendMessage(f.ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("flaky")})
	if err != nil {
		t.Fatal(err)
	}
	id := *sent.MessageId

	f.receiveOne(url, 0, 1)
	// The lease runs out after a second; a long poll gets the task again.
	m := f.receiveOne(url, 5, 30)
	if m.Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("ApproximateReceiveCount = %s, want 2", m.Attributes["ApproximateReceiveCount"])
	}
	wantTask(t, f.status("jobs", id), sluice.TaskRunning, 2)
	if _, err := f.sqs.ChangeMessageVisibility(f.ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	wantTask(t, f.status("jobs", id), sluice.TaskQueued, 2)

	// The third receive would exceed maxReceiveCount: the task is dead and
	// moves to the dead-letter queue instead of being delivered.
	out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("third ReceiveMessage = %v, %v; want no message", out, err)
	}
	d := f.receiveOne(dlq, 5, 30)
	if *d.MessageId != id || d.Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:jobs" {
		t.Errorf("dead-letter queue holds %s from %s, want %s from jobs", *d.MessageId, d.Attributes["DeadLetterQueueSourceArn"], id)
	}
	s := f.status("jobs", id)
	wantTask(t, s, sluice.TaskDead, 2)
	if s.DeadLetterQueue != "jobs-dlq" || s.LastError != "lease expired on attempt 2 of 2" {
		t.Errorf("dead task = %+v, want jobs-dlq and the lease expiry of attempt 2 of 2", s)
	}
}
