package snsapi_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluicehq/sluice"
)

// MessageGroupId published to a standard topic reaches subscribed queues
// as the copies' tenant, as SNS forwards it to SQS fair queues: per-tenant
// statistics show it and per-tenant policies apply to it.
func TestPublishMessageGroupIdIsTheQueueTenant(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	topic, err := f.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := f.queue("work", nil)
	if _, err := f.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Client.SetTenant(ctx, sluice.TenantConfig{Queue: "work", Tenant: "acme", Policy: sluice.TenantPolicy{MaxInFlight: 1}}); err != nil {
		t.Fatalf("SetTenant = %v", err)
	}
	for range 3 {
		if _, err := f.sns.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("a"), MessageGroupId: aws.String("acme")}); err != nil {
			t.Fatalf("Publish = %v", err)
		}
	}
	out, err := f.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
		{Id: aws.String("1"), Message: aws.String("g"), MessageGroupId: aws.String("globex")},
		{Id: aws.String("2"), Message: aws.String("g"), MessageGroupId: aws.String("globex")},
	}})
	if err != nil || len(out.Failed) > 0 {
		t.Fatalf("PublishBatch = %v, %v", out, err)
	}

	stats, err := f.srv.Client.QueueTenants(ctx, "work", 0)
	if err != nil {
		t.Fatalf("QueueTenants = %v", err)
	}
	visible := map[string]int{}
	for _, s := range stats {
		visible[s.Tenant] = s.Visible
	}
	if len(stats) != 2 || visible["acme"] != 3 || visible["globex"] != 2 {
		t.Errorf("QueueTenants = %+v, want acme with 3 and globex with 2 ready", stats)
	}

	// acme may have one message in flight: one receive of ten gets one of
	// its three and both of globex's.
	got, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameMessageGroupId}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, m := range got.Messages {
		by[m.Attributes["MessageGroupId"]]++
	}
	if by["acme"] != 1 || by["globex"] != 2 || len(got.Messages) != 3 {
		t.Errorf("ReceiveMessage got tenants %v, want acme 1 (its MaxInFlight) and globex 2", by)
	}
}
