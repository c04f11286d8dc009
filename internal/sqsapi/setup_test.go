package sqsapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sluicehq/sluice"

	"github.com/sluicehq/sluice/sluicetest"
)

// fixture is a real Sluice server on a loopback port with the official
// AWS SDK for Go v2 pointed at it.
type fixture struct {
	t   *testing.T
	srv *sluicetest.Server
	sqs *sqs.Client
	ctx context.Context
}

func setup(t *testing.T, opts ...sluicetest.Option) *fixture {
	t.Helper()
	srv := sluicetest.NewServer(t, append([]sluicetest.Option{sluicetest.WithSync("never")}, opts...)...)
	client := sqs.New(sqs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{},
	})
	return &fixture{t: t, srv: srv, sqs: client, ctx: t.Context()}
}

// createQueue creates a queue and returns its URL.
func (f *fixture) createQueue(name string, attrs map[string]string) string {
	f.t.Helper()
	out, err := f.sqs.CreateQueue(f.ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		f.t.Fatalf("CreateQueue(%s) = %v", name, err)
	}
	return *out.QueueUrl
}

// errorCode returns the code of an AWS error as the SDK reports it.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// wantCode fails the test unless err is an AWS error with code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errorCode(err); got != code {
		t.Errorf("%s = %v, want error code %s", what, err, code)
	}
}

func sluiceSend(body string) sluice.SendInput { return sluice.SendInput{Body: []byte(body)} }
