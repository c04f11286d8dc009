// Package sqsapi serves the Amazon SQS API over Sluice's engine, in both
// of SQS's wire protocols (AWS JSON 1.0 and Query), so that unchanged AWS
// SDK code works against Sluice by changing its endpoint.
//
// Every SQS operation is served. Queue URLs are BASE/ACCOUNT/NAME, where
// BASE is the configured public URL or the scheme and host the client used;
// a queue is found by the last element of its URL's path, whatever the host.
// MessageGroupId on a standard queue is the message's tenant, so it drives
// Sluice's fair dispatch as it does SQS fair queues. Differences from AWS
// are listed in docs/aws-compat.md.
package sqsapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/metrics"
)

// Engine is what the handler needs of the queue engine; *engine.Engine
// implements it.
type Engine interface {
	CreateQueue(ctx context.Context, cfg sluice.QueueConfig) (q sluice.QueueConfig, created bool, err error)
	GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error)
	ListQueues(ctx context.Context, prefix, after string, limit int) ([]sluice.QueueConfig, error)
	UpdateQueue(ctx context.Context, name string, u sluice.QueueUpdate) (sluice.QueueConfig, error)
	TagQueue(ctx context.Context, name string, tags map[string]string) error
	UntagQueue(ctx context.Context, name string, keys []string) error
	// DeleteQueueInUse deletes a queue even while it is another queue's
	// dead-letter queue, as SQS does.
	DeleteQueueInUse(ctx context.Context, name string) error
	PurgeQueue(ctx context.Context, name string) (int, error)
	Send(ctx context.Context, queue string, msgs []sluice.SendInput) ([]sluice.SendResult, error)
	Receive(ctx context.Context, queue string, opts sluice.ReceiveOptions) ([]sluice.Message, error)
	Ack(ctx context.Context, queue string, receipts []string) ([]error, error)
	ChangeVisibility(ctx context.Context, queue string, changes []sluice.VisibilityChange) ([]error, error)
	Stats(ctx context.Context, queue string) (sluice.QueueStats, error)
	Redrive(ctx context.Context, queue string, opts sluice.RedriveOptions) (int, error)
}

// Options configures the handler. A zero field means the default.
type Options struct {
	// AWS is the region, account and public URL clients see.
	AWS awswire.Config
	// Limits are the engine's limits.
	Limits sluice.Limits
	// Logger receives internal errors with their detail (default: discard).
	Logger *slog.Logger
}

// Handler serves SQS requests. Create it with New; Close stops its message
// move tasks.
type Handler struct {
	engine Engine
	aws    awswire.Config
	limits sluice.Limits
	log    *slog.Logger

	attempts attemptCache // ReceiveRequestAttemptId results
	tasks    moveTasks

	// ctx is cancelled by Close; move tasks run under it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ awswire.Handler = (*Handler)(nil)

// New returns an SQS handler over e.
func New(e Engine, opts Options) *Handler {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{
		engine: e,
		aws:    opts.AWS.WithDefaults(),
		limits: opts.Limits.WithDefaults(),
		log:    opts.Logger,
		ctx:    ctx,
		cancel: cancel,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h
}

// Close stops running message move tasks and waits for them.
func (h *Handler) Close() {
	h.cancel()
	h.wg.Wait()
}

// Service returns the SQS service description for an awswire.Router.
func (h *Handler) Service() awswire.Service {
	return awswire.Service{
		Name:          "sqs",
		TargetPrefix:  "AmazonSQS",
		JSONNamespace: "com.amazonaws.sqs",
		Version:       "2012-11-05",
		XMLNamespace:  "http://queue.amazonaws.com/doc/2012-11-05/",
		QueuePaths:    true,
		Handler:       h,
	}
}

// action serves one operation. It returns the result to send, or an error:
// an *awswire.Error, an engine error, or an unexpected one.
type action func(h *Handler, r *awswire.Request) (any, error)

var actions = map[string]action{
	"CreateQueue":                  (*Handler).createQueue,
	"GetQueueUrl":                  (*Handler).getQueueURL,
	"ListQueues":                   (*Handler).listQueues,
	"DeleteQueue":                  (*Handler).deleteQueue,
	"GetQueueAttributes":           (*Handler).getQueueAttributes,
	"SetQueueAttributes":           (*Handler).setQueueAttributes,
	"PurgeQueue":                   (*Handler).purgeQueue,
	"TagQueue":                     (*Handler).tagQueue,
	"UntagQueue":                   (*Handler).untagQueue,
	"ListQueueTags":                (*Handler).listQueueTags,
	"ListDeadLetterSourceQueues":   (*Handler).listDeadLetterSourceQueues,
	"AddPermission":                (*Handler).addPermission,
	"RemovePermission":             (*Handler).removePermission,
	"SendMessage":                  (*Handler).sendMessage,
	"SendMessageBatch":             (*Handler).sendMessageBatch,
	"ReceiveMessage":               (*Handler).receiveMessage,
	"DeleteMessage":                (*Handler).deleteMessage,
	"DeleteMessageBatch":           (*Handler).deleteMessageBatch,
	"ChangeMessageVisibility":      (*Handler).changeVisibility,
	"ChangeMessageVisibilityBatch": (*Handler).changeVisibilityBatch,
	"StartMessageMoveTask":         (*Handler).startMoveTask,
	"CancelMessageMoveTask":        (*Handler).cancelMoveTask,
	"ListMessageMoveTasks":         (*Handler).listMoveTasks,
}

// ServeAWS serves one SQS request.
// It names the request's action in the HTTP metrics ("unknown" for an
// action SQS does not have, so the label's values stay bounded).
func (h *Handler) ServeAWS(w http.ResponseWriter, r *awswire.Request) {
	act := actions[r.Action]
	action := "unknown"
	if act != nil {
		action = r.Action
	}
	metrics.SetLabels(r.HTTP.Context(), "sqs", action)
	if act == nil {
		code := "InvalidAction"
		if r.Protocol == awswire.JSON {
			code = "UnknownOperationException"
		}
		r.Fail(w, &awswire.Error{Code: code, QueryCode: "InvalidAction", Status: http.StatusBadRequest,
			Message: "The action " + r.Action + " is not valid for this endpoint."})
		return
	}
	result, err := act(h, r)
	if err != nil {
		ctx := r.HTTP.Context()
		if ctx.Err() != nil && context.Cause(ctx) != sluice.ErrClosed {
			return // the client went away
		}
		if e := errorOf(ctx, err); e != nil {
			r.Fail(w, e)
			return
		}
		r.Internal(w, err)
		return
	}
	r.Respond(w, result)
}

// decode decodes r's input into v, with v's one-pass decoder when it has
// one and it handles the document.
func decode(r *awswire.Request, v any) error {
	if fd, ok := v.(fastDecoder); ok && r.Protocol == awswire.JSON {
		if fd.decodeFast(r.Body) {
			return nil
		}
		reset(v)
	}
	if e := r.Decode(v); e != nil {
		return e
	}
	return nil
}

// reset sets the struct v points to to its zero value.
func reset(v any) {
	rv := reflect.ValueOf(v).Elem()
	rv.Set(reflect.Zero(rv.Type()))
}

// queueName returns the queue a request names: by its QueueUrl, or for
// Query requests posted to a queue URL, by the request's path.
func (h *Handler) queueName(r *awswire.Request, queueURL string) (string, error) {
	if queueURL == "" {
		if r.Protocol == awswire.Query {
			if _, name, ok := awswire.QueuePath(r.HTTP.URL.Path); ok {
				return name, nil
			}
		}
		return "", awswire.MissingParameter("QueueUrl")
	}
	path := queueURL
	if u, err := url.Parse(queueURL); err == nil && u.Scheme != "" {
		path = u.Path
	}
	if _, name, ok := awswire.QueuePath(path); ok {
		return name, nil
	}
	if !strings.Contains(path, "/") && path != "" {
		return path, nil // a bare queue name, as some tools send
	}
	return "", errQueueDoesNotExist
}

// queueURL returns the URL of the named queue for r's client.
func (h *Handler) queueURL(r *awswire.Request, name string) string {
	return h.aws.QueueURL(r.HTTP, name)
}

// queueARN returns the ARN of the named queue.
func (h *Handler) queueARN(name string) string { return h.aws.ARN("sqs", name) }

// queueOfARN returns the queue an SQS ARN names.
func queueOfARN(param, arn string) (string, error) {
	svc, _, _, name, ok := awswire.ParseARN(arn)
	if !ok || svc != "sqs" {
		return "", awswire.InvalidParameterValue(param, arn, "It is not an SQS queue ARN.")
	}
	return name, nil
}
