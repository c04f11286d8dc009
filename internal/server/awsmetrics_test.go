package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluicehq/sluice/internal/server"
)

// TestMetricsLabelAWSRequestsByAction drives the server with the AWS SDK
// for Go v2 and checks that /metrics counts SQS and SNS requests by their
// action, not by the path they share with the dashboard.
func TestMetricsLabelAWSRequestsByAction(t *testing.T) {
	r := start(t, server.Config{})
	ctx := t.Context()
	creds := credentials.NewStaticCredentialsProvider("AKID", "secret", "")
	sq := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.url), Credentials: creds, RetryMaxAttempts: 1})
	sn := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.url), Credentials: creds, RetryMaxAttempts: 1})

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := sq.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{
			{Id: aws.String("a"), MessageBody: aws.String("1")},
			{Id: aws.String("b"), MessageBody: aws.String("2")},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10}); err != nil {
		t.Fatal(err)
	}
	// A missing queue: counted under its action with the error's status.
	if _, err := sq.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")}); err == nil {
		t.Fatal("GetQueueUrl(missing) succeeded, want QueueDoesNotExist")
	}
	if _, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("events")}); err != nil {
		t.Fatal(err)
	}
	// An action SQS does not have is counted as "unknown", so a client
	// cannot grow the label's values.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+"/", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "AmazonSQS.MakeCoffee")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A form with no Action never reaches a service: "aws", "unrouted".
	resp, err = http.Post(r.url+"/", "application/x-www-form-urlencoded", strings.NewReader("Version=2012-11-05"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	fams := scrape(t, r)
	const requests = "sluice_http_requests_total"
	wantValue(t, fams, requests, map[string]string{"api": "sqs", "action": "CreateQueue", "status": "200"}, 1)
	wantValue(t, fams, requests, map[string]string{"api": "sqs", "action": "SendMessageBatch", "status": "200"}, 2)
	wantValue(t, fams, requests, map[string]string{"api": "sqs", "action": "ReceiveMessage", "status": "200"}, 1)
	wantValue(t, fams, requests, map[string]string{"api": "sqs", "action": "GetQueueUrl", "status": "400"}, 1)
	wantValue(t, fams, requests, map[string]string{"api": "sqs", "action": "unknown", "status": "400"}, 1)
	wantValue(t, fams, requests, map[string]string{"api": "sns", "action": "CreateTopic", "status": "200"}, 1)
	wantValue(t, fams, requests, map[string]string{"api": "aws", "action": "unrouted", "status": "400"}, 1)
	wantValue(t, fams, "sluice_http_request_duration_seconds", map[string]string{"api": "sqs", "action": "SendMessageBatch"}, 2)
	if n, ok := value(fams, requests, map[string]string{"api": "dashboard"}); ok {
		t.Errorf("%s{api=dashboard} = %v after AWS requests only, want no series", requests, n)
	}
}
