package sqsapi_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluicehq/sluice"
)

// sendAs sends n messages with SendMessageBatch, MessageGroupId tenant,
// bodies "tenant-0", "tenant-1", ….
func (f *fixture) sendAs(url, tenant string, n int) {
	f.t.Helper()
	for i := 0; i < n; i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j := i; j < min(n, i+10); j++ {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)),
				MessageBody: aws.String(fmt.Sprintf("%s-%d", tenant, j)), MessageGroupId: aws.String(tenant)})
		}
		out, err := f.sqs.SendMessageBatch(f.ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			f.t.Fatalf("SendMessageBatch(%s) = %v, %v", tenant, out, err)
		}
	}
}

// receiveBatch receives up to 10 messages, without waiting, and returns
// them with how many each tenant got.
func (f *fixture) receiveBatch(url string) ([]types.Message, map[string]int) {
	f.t.Helper()
	out, err := f.sqs.ReceiveMessage(f.ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId}})
	if err != nil {
		f.t.Fatalf("ReceiveMessage = %v", err)
	}
	by := map[string]int{}
	for _, m := range out.Messages {
		by[m.Attributes["MessageGroupId"]]++
	}
	return out.Messages, by
}

// On a standard queue, MessageGroupId is the tenant: a quiet tenant's few
// messages are not stuck behind a noisy tenant's backlog, as in SQS fair
// queues.
func TestMessageGroupIdIsTheTenant(t *testing.T) {
	f := setup(t)
	const backlog = 1000
	// quietShare sends the backlog and then the quiet tenant's 4 messages,
	// and returns how many of those 4 the first 20 received include.
	quietShare := func(url string) int {
		f.sendAs(url, "noisy", backlog)
		f.sendAs(url, "quiet", 4)
		quiet := 0
		for range 2 {
			_, by := f.receiveBatch(url)
			quiet += by["quiet"]
		}
		return quiet
	}

	// The contrast: a queue with fairness off delivers in send order, so
	// the quiet tenant waits behind the whole backlog.
	if _, err := f.srv.Client.CreateQueue(f.ctx, sluice.QueueConfig{Name: "unfair", DisableFairness: true}); err != nil {
		t.Fatalf("CreateQueue(unfair) = %v", err)
	}
	if got := quietShare(f.createQueue("unfair", nil)); got != 0 {
		t.Errorf("without fairness the quiet tenant got %d messages in the first 20, want 0 (send order)", got)
	}

	// With fair shares it gets half of every receive while it has messages.
	url := f.createQueue("fair", nil)
	if got := quietShare(url); got != 4 {
		t.Errorf("quiet tenant got %d of its 4 messages in the first 20 received behind %d noisy ones, want all 4", got, backlog)
	}

	// Per-tenant statistics name both tenants, noisiest first.
	stats, err := f.srv.Client.QueueTenants(f.ctx, "fair", 0)
	if err != nil {
		t.Fatalf("QueueTenants = %v", err)
	}
	if len(stats) != 2 || stats[0].Tenant != "noisy" || stats[1].Tenant != "quiet" {
		t.Fatalf("QueueTenants = %+v, want noisy then quiet", stats)
	}
	if s := stats[0]; s.Visible != backlog-16 || s.InFlight != 16 || s.Dispatched != 16 {
		t.Errorf("noisy stats = %+v, want 16 in flight of %d", s, backlog)
	}
	if s := stats[1]; s.Visible != 0 || s.InFlight != 4 || s.WaitSamples != 4 {
		t.Errorf("quiet stats = %+v, want 4 in flight, 4 wait samples", s)
	}
}

// A tenant policy set through the native API applies to messages sent and
// received through SQS.
func TestTenantPolicyAppliesToSQS(t *testing.T) {
	f := setup(t)
	url := f.createQueue("capped", nil)
	if _, err := f.srv.Client.SetTenant(f.ctx, sluice.TenantConfig{Queue: "capped", Tenant: "noisy", Policy: sluice.TenantPolicy{MaxInFlight: 3}}); err != nil {
		t.Fatalf("SetTenant = %v", err)
	}
	f.sendAs(url, "noisy", 30)
	f.sendAs(url, "other", 5)

	var noisy []types.Message
	other := 0
	for range 3 {
		msgs, by := f.receiveBatch(url)
		other += by["other"]
		for _, m := range msgs {
			if m.Attributes["MessageGroupId"] == "noisy" {
				noisy = append(noisy, m)
			}
		}
	}
	if len(noisy) != 3 || other != 5 {
		t.Fatalf("received %d noisy and %d other messages, want 3 (its MaxInFlight) and 5", len(noisy), other)
	}
	_, st, err := f.srv.Client.QueueTenant(f.ctx, "capped", "noisy")
	if err != nil {
		t.Fatalf("QueueTenant = %v", err)
	}
	if st.Policy.MaxInFlight != 3 || st.InFlight != 3 || st.Visible != 27 {
		t.Errorf("noisy stats = %+v, want MaxInFlight 3, 3 in flight, 27 visible", st)
	}

	// Deleting one frees a slot for one more.
	if _, err := f.sqs.DeleteMessage(f.ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: noisy[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage = %v", err)
	}
	if _, by := f.receiveBatch(url); by["noisy"] != 1 {
		t.Errorf("after one delete, received %v, want 1 noisy message", by)
	}
}
