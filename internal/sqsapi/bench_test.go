package sqsapi_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sluicetest"
)

var benchSync = flag.String("bench-fsync", "always", "fsync policy of the benchmark server")

// benchBody is 256 bytes, the size the native benchmarks use.
var benchBody = strings.Repeat("sluice-0", 32)

// BenchmarkCycle measures end-to-end throughput through the SQS API with
// the AWS SDK for Go v2 (JSON protocol) and, as the baseline, through the
// native API with the Go client, against the same real server (file
// journal, fsync per -bench-fsync) in the same run. Each of 4 loops sends a
// batch of 10 with one attribute, receives up to 10 and deletes what it got
// in one batch. Compare the two msgs/s figures as a ratio, or read the
// ratio api=both measures with the two interleaved.
func BenchmarkCycle(b *testing.B) {
	srv := sluicetest.NewServer(b, sluicetest.WithSync(*benchSync), sluicetest.WithPartitions(1))
	ctx := context.Background()
	if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "bench-native"}); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Client.CreateQueue(ctx, sluice.QueueConfig{Name: "bench-sqs"}); err != nil {
		b.Fatal(err)
	}
	loops := func(b *testing.B, cycle func(ctx context.Context) (int, error)) {
		var acked atomic.Int64
		b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n, err := cycle(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				acked.Add(int64(n))
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(acked.Load())/b.Elapsed().Seconds(), "msgs/s")
	}

	native := nativeCycle(srv)
	sqsc := sqsCycle(srv)
	b.Run("api=native", func(b *testing.B) { loops(b, native) })
	b.Run("api=sqs", func(b *testing.B) { loops(b, sqsc) })
	// Interleaved: every loop alternates the two, timing each, so that both
	// see the same machine; reports the ratio of their rates.
	b.Run("api=both", func(b *testing.B) {
		var mu sync.Mutex // guards the totals
		var nMsgs, sMsgs int
		var nTime, sTime time.Duration
		b.SetParallelism(max(1, 4/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				start := time.Now()
				n, err := native(ctx)
				mid := time.Now()
				if err == nil {
					var m int
					m, err = sqsc(ctx)
					mu.Lock()
					nMsgs, sMsgs = nMsgs+n, sMsgs+m
					nTime, sTime = nTime+mid.Sub(start), sTime+time.Since(mid)
					mu.Unlock()
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		if nMsgs > 0 && sTime > 0 {
			b.ReportMetric((float64(sMsgs)/sTime.Seconds())/(float64(nMsgs)/nTime.Seconds()), "sqs/native")
		}
	})
}

// nativeCycle returns one cycle through the native API: send a batch of
// 10, receive up to 10 without waiting, ack them in one call.
func nativeCycle(srv *sluicetest.Server) func(context.Context) (int, error) {
	c := srv.Client
	ins := make([]sluice.SendInput, 10)
	for i := range ins {
		ins[i] = sluice.SendInput{Body: []byte(benchBody), Attributes: map[string]sluice.Attribute{"kind": {Type: "String", String: "bench"}}}
	}
	var noWait time.Duration // another loop may have taken the batch
	opts := sluice.ReceiveOptions{Max: 10, WaitTime: &noWait}
	return func(ctx context.Context) (int, error) {
		if _, err := c.SendBatch(ctx, "bench-native", ins); err != nil {
			return 0, fmt.Errorf("SendBatch: %w", err)
		}
		msgs, err := c.Receive(ctx, "bench-native", opts)
		if err != nil || len(msgs) == 0 {
			return 0, err
		}
		receipts := make([]string, len(msgs))
		for i, m := range msgs {
			receipts[i] = m.Receipt
		}
		if _, err := c.AckBatch(ctx, "bench-native", receipts); err != nil {
			return 0, fmt.Errorf("AckBatch: %w", err)
		}
		return len(msgs), nil
	}
}

// sqsCycle returns the same cycle through the SQS API with the AWS SDK:
// SendMessageBatch, ReceiveMessage, DeleteMessageBatch.
func sqsCycle(srv *sluicetest.Server) func(context.Context) (int, error) {
	c := sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
	})
	url := aws.String(srv.URL + "/000000000000/bench-sqs")
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: aws.String(benchBody),
			MessageAttributes: map[string]types.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("bench")}}}
	}
	return func(ctx context.Context) (int, error) {
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
			return 0, fmt.Errorf("SendMessageBatch: %w", err)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: []string{"All"}})
		if err != nil || len(out.Messages) == 0 {
			return 0, err
		}
		del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
		}
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del}); err != nil {
			return 0, fmt.Errorf("DeleteMessageBatch: %w", err)
		}
		return len(out.Messages), nil
	}
}
