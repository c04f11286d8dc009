package server_test

import (
	"net/http"
	"testing"

	"errors"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

func sqsClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	})
}

// testSQS drives a cluster with the AWS SDK: a queue created through
// one node that does not serve it, a message sent through the other
// non-owner and received and deleted through the owner; a redrive policy
// across partitions is refused with InvalidParameterValue.
func testSQS(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	const name = "jobs"
	owner := nodes[owners[partitionOf(name)]]
	x, y := others(nodes, owners[partitionOf(name)])
	cx, cy, co := sqsClient(x.url), sqsClient(y.url), sqsClient(owner.url)

	created, err := cx.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateQueue through a non-owner error = %v", err)
	}
	got, err := cy.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetQueueUrl through the other non-owner error = %v", err)
	}
	if _, err := cy.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: got.QueueUrl, MessageBody: aws.String("hello")}); err != nil {
		t.Fatalf("SendMessage through a non-owner error = %v", err)
	}
	out, err := co.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 || *out.Messages[0].Body != "hello" {
		t.Fatalf("ReceiveMessage through the owner = %+v, %v, want hello", out, err)
	}
	if _, err := cx.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: created.QueueUrl, ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage through a non-owner error = %v", err)
	}
	list, err := cy.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(name)})
	if err != nil || len(list.QueueUrls) != 1 || list.QueueUrls[0] != *got.QueueUrl {
		t.Errorf("ListQueues(prefix %s) through a non-owner = %+v, %v, want %s", name, list, err, *got.QueueUrl)
	}

	far := nameOff(name)
	if _, err := cx.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(far)}); err != nil {
		t.Fatal(err)
	}
	_, err = cy.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: created.QueueUrl, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:` + far + `","maxReceiveCount":"3"}`,
	}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("SetQueueAttributes(RedrivePolicy on another partition) error = %v, want InvalidParameterValue", err)
	}
}

func snsClient(url string) *sns.Client {
	return sns.New(sns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	})
}

// testSNS drives topics with the AWS SDK through nodes that do not
// serve them: attributes set through one are read through another, a queue
// sharing the topic's placement key is subscribed, and a message published
// through a third node reaches it; a queue on another partition is refused.
func testSNS(t *testing.T, nodes map[string]*running, owners map[int]string) {
	ctx := t.Context()
	const topic, queue = "billing__events", "billing"
	x, y := others(nodes, owners[partitionOf(topic)])
	owner := nodes[owners[partitionOf(topic)]]
	nx, ny, no := snsClient(x.url), snsClient(y.url), snsClient(owner.url)

	created, err := nx.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topic), Attributes: map[string]string{"DisplayName": "Billing"}})
	if err != nil {
		t.Fatalf("CreateTopic through a non-owner error = %v", err)
	}
	if _, err := ny.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: created.TopicArn,
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(`{"Version":"2012-10-17"}`)}); err != nil {
		t.Fatalf("SetTopicAttributes through a non-owner error = %v", err)
	}
	attrs, err := nx.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: created.TopicArn})
	if err != nil || attrs.Attributes["DisplayName"] != "Billing" || attrs.Attributes["Policy"] != `{"Version":"2012-10-17"}` {
		t.Fatalf("GetTopicAttributes through a non-owner = %v, %v, want the display name and policy set", attrs, err)
	}

	q, err := sqsClient(y.url).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sqs:us-east-1:000000000000:" + queue
	if _, err := ny.Subscribe(ctx, &sns.SubscribeInput{TopicArn: created.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn,
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatalf("Subscribe(sqs) through a non-owner error = %v", err)
	}
	if _, err := no.Publish(ctx, &sns.PublishInput{TopicArn: created.TopicArn, Message: aws.String("invoice 7")}); err != nil {
		t.Fatalf("Publish error = %v", err)
	}
	out, err := sqsClient(x.url).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 1 || *out.Messages[0].Body != "invoice 7" {
		t.Errorf("ReceiveMessage after the publish = %+v, %v, want invoice 7", out, err)
	}

	far := nameOff(topic)
	if _, err := sqsClient(x.url).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(far)}); err != nil {
		t.Fatal(err)
	}
	farARN := "arn:aws:sqs:us-east-1:000000000000:" + far
	_, err = nx.Subscribe(ctx, &sns.SubscribeInput{TopicArn: created.TopicArn, Protocol: aws.String("sqs"), Endpoint: &farARN})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameter" {
		t.Errorf("Subscribe(queue on another partition) error = %v, want InvalidParameter", err)
	}
}
