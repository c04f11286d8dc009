// Package snsapi serves the Amazon SNS API (Query protocol) over Sluice's
// topics, so that SNS code — any AWS SDK, the AWS CLI — publishes to
// Sluice by changing its endpoint. Topic ARNs are
// arn:aws:sns:REGION:ACCOUNT:NAME and subscription ARNs the topic's ARN
// followed by ":" and the subscription's id. Subscriptions deliver to
// queues (protocol "sqs", endpoint a queue ARN) and to HTTP(S) endpoints.
// Differences from AWS are listed in docs/aws-compat.md.
package snsapi

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
	"github.com/sluicehq/sluice/internal/metrics"
)

// Engine is what the handler needs of the engine; *engine.Engine implements it.
type Engine interface {
	GetQueue(ctx context.Context, name string) (sluice.QueueConfig, error)
	CreateTopic(ctx context.Context, cfg sluice.TopicConfig) (t sluice.TopicConfig, created bool, err error)
	GetTopic(ctx context.Context, name string) (sluice.TopicConfig, error)
	UpdateTopic(ctx context.Context, name string, u sluice.TopicUpdate) (sluice.TopicConfig, error)
	ListTopics(ctx context.Context, prefix, after string, limit int) ([]sluice.TopicConfig, error)
	TagTopic(ctx context.Context, name string, tags map[string]string) error
	UntagTopic(ctx context.Context, name string, keys []string) error
	DeleteTopic(ctx context.Context, name string) error
	Publish(ctx context.Context, topic string, msgs []sluice.PublishInput) ([]sluice.PublishResult, error)
	Subscribe(ctx context.Context, s sluice.Subscription) (sluice.Subscription, error)
	ConfirmSubscription(ctx context.Context, topic, token string) (sluice.Subscription, error)
	UpdateSubscription(ctx context.Context, id string, u sluice.SubscriptionUpdate) (sluice.Subscription, error)
	Unsubscribe(ctx context.Context, id string) error
	GetSubscription(ctx context.Context, id string) (sluice.Subscription, error)
	ListSubscriptions(ctx context.Context, topic, after string, limit int) ([]sluice.Subscription, error)
}

// Options configures the handler. A zero field means the default.
type Options struct {
	AWS    awswire.Config
	Logger *slog.Logger
}

// Handler serves SNS requests. It is safe for concurrent use.
type Handler struct {
	engine Engine
	aws    awswire.Config
}

var _ awswire.Handler = (*Handler)(nil)

// New returns an SNS handler over e.
func New(e Engine, opts Options) *Handler {
	return &Handler{engine: e, aws: opts.AWS.WithDefaults()}
}

// Service returns the SNS service description for an awswire.Router.
func (h *Handler) Service() awswire.Service {
	return awswire.Service{
		Name:          "sns",
		JSONNamespace: "com.amazonaws.sns",
		Version:       "2010-03-31",
		XMLNamespace:  "http://sns.amazonaws.com/doc/2010-03-31/",
		Handler:       h,
	}
}

type action func(h *Handler, r *awswire.Request) (any, error)

var actions = map[string]action{
	"CreateTopic":               (*Handler).createTopic,
	"DeleteTopic":               (*Handler).deleteTopic,
	"ListTopics":                (*Handler).listTopics,
	"GetTopicAttributes":        (*Handler).getTopicAttributes,
	"SetTopicAttributes":        (*Handler).setTopicAttributes,
	"Subscribe":                 (*Handler).subscribe,
	"ConfirmSubscription":       (*Handler).confirmSubscription,
	"Unsubscribe":               (*Handler).unsubscribe,
	"ListSubscriptions":         (*Handler).listSubscriptions,
	"ListSubscriptionsByTopic":  (*Handler).listSubscriptionsByTopic,
	"GetSubscriptionAttributes": (*Handler).getSubscriptionAttributes,
	"SetSubscriptionAttributes": (*Handler).setSubscriptionAttributes,
	"Publish":                   (*Handler).publish,
	"PublishBatch":              (*Handler).publishBatch,
	"TagResource":               (*Handler).tagResource,
	"UntagResource":             (*Handler).untagResource,
	"ListTagsForResource":       (*Handler).listTagsForResource,
}

// ServeAWS serves one SNS request.
// It names the request's action in the HTTP metrics ("unknown" for an
// action SNS does not have, so the label's values stay bounded).
func (h *Handler) ServeAWS(w http.ResponseWriter, r *awswire.Request) {
	act := actions[r.Action]
	action := "unknown"
	if act != nil {
		action = r.Action
	}
	metrics.SetLabels(r.HTTP.Context(), "sns", action)
	if act == nil {
		r.Fail(w, &awswire.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "The action " + r.Action + " is not valid for this endpoint."})
		return
	}
	result, err := act(h, r)
	if err != nil {
		ctx := r.HTTP.Context()
		if ctx.Err() != nil && context.Cause(ctx) != sluice.ErrClosed {
			return
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

func decode(r *awswire.Request, v any) error {
	if e := r.Decode(v); e != nil {
		return e
	}
	return nil
}

// SNS errors.
func notFound(msg string) *awswire.Error {
	return &awswire.Error{Code: "NotFound", Status: http.StatusNotFound, Message: msg}
}

func invalidParameter(format string, args ...any) *awswire.Error {
	e := awswire.Errorf(http.StatusBadRequest, "InvalidParameter", "", format, args...)
	return e
}

func missing(param string) *awswire.Error {
	return invalidParameter("Invalid parameter: %s", param)
}

// errorOf is SNS's one translation table from engine errors.
func errorOf(ctx context.Context, err error) *awswire.Error {
	var ae *awswire.Error
	var ia *sluice.InvalidArgumentError
	var le *sluice.LimitError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, sluice.ErrTopicNotFound):
		return notFound("Topic does not exist")
	case errors.Is(err, sluice.ErrSubscriptionNotFound):
		return notFound("Subscription does not exist")
	case errors.Is(err, sluice.ErrQueueNotFound):
		return notFound("Queue does not exist")
	case errors.Is(err, sluice.ErrTopicExists):
		return invalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
	case errors.Is(err, sluice.ErrTokenInvalid):
		return invalidParameter("Invalid token")
	case errors.As(err, &ia):
		return invalidParameter("Invalid parameter: %s Reason: %s", ia.Field, ia.Reason)
	case errors.As(err, &le):
		return invalidParameter("Invalid parameter: %s Reason: %d is over the limit of %d", le.Field, le.Got, le.Limit)
	case errors.Is(err, sluice.ErrUnavailable), errors.Is(err, sluice.ErrClosed), errors.Is(context.Cause(ctx), sluice.ErrClosed):
		return awswire.ErrUnavailable
	}
	return nil
}

// topicARN returns the ARN of the named topic.
func (h *Handler) topicARN(name string) string { return h.aws.ARN("sns", name) }

// topicOf returns the topic an ARN names.
func topicOf(param, arn string) (string, error) {
	if arn == "" {
		return "", missing(param)
	}
	svc, _, _, name, ok := awswire.ParseARN(arn)
	if !ok || svc != "sns" || strings.Contains(name, ":") {
		return "", invalidParameter("Invalid parameter: %s Reason: %q is not a topic ARN", param, arn)
	}
	return name, nil
}

// subscriptionARN returns the ARN of a subscription: its topic's ARN, ":",
// and the id's part after the topic.
func (h *Handler) subscriptionARN(id string) string {
	topic, uid, _ := strings.Cut(id, "/")
	return h.topicARN(topic) + ":" + uid
}

// subscriptionID returns the engine id of a subscription ARN.
func subscriptionID(arn string) (string, error) {
	if arn == "" {
		return "", missing("SubscriptionArn")
	}
	svc, _, _, res, ok := awswire.ParseARN(arn)
	topic, uid, found := strings.Cut(res, ":")
	if !ok || svc != "sns" || !found || uid == "" {
		return "", invalidParameter("Invalid parameter: SubscriptionArn Reason: %q is not a subscription ARN", arn)
	}
	return topic + "/" + uid, nil
}

// attributes converts message attributes to the engine's.
func attributes(in map[string]attributeValue) (map[string]sluice.Attribute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]sluice.Attribute, len(in))
	for name, v := range in {
		a := sluice.Attribute{Type: v.DataType}
		switch a.BaseType() {
		case "String", "Number":
			if v.StringValue == nil {
				return nil, invalidParameter("Invalid parameter: MessageAttributes Reason: The message attribute '%s' must contain a String value.", name)
			}
			a.String = *v.StringValue
		case "Binary":
			if v.BinaryValue == nil {
				return nil, invalidParameter("Invalid parameter: MessageAttributes Reason: The message attribute '%s' must contain a Binary value.", name)
			}
			a.Binary = v.BinaryValue
		default:
			return nil, invalidParameter("Invalid parameter: MessageAttributes Reason: The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		out[name] = a
	}
	return out, nil
}

// Page tokens are the last name or id listed, in URL-safe base64.
func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", invalidParameter("Invalid parameter: NextToken")
	}
	return string(b), nil
}

func encodeToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }
