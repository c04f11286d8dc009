package sqsapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/awswire"
)

func (h *Handler) createQueue(r *awswire.Request) (any, error) {
	var in createQueueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, awswire.MissingParameter("QueueName")
	}
	fifo := strings.HasSuffix(in.QueueName, ".fifo")
	if v, ok := in.Attributes["FifoQueue"]; ok && strings.EqualFold(v, "true") != fifo || !ok && fifo {
		return nil, awswire.InvalidParameterValue("QueueName", in.QueueName,
			"The name of a FIFO queue must end with the .fifo suffix and the queue must have the FifoQueue attribute set to true; other queues must do neither.")
	}
	u, err := h.parseAttributes(in.Attributes, fifo, true)
	if err != nil {
		return nil, err
	}
	if err := sluice.ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	if err := h.checkRedriveAllowed(r, in.QueueName, u.DeadLetter); err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	if cur, err := h.engine.GetQueue(ctx, in.QueueName); err == nil {
		// An existing queue is returned when the given attributes agree
		// with it; attributes not given are not compared.
		want := cur
		applyUpdate(&want, u)
		if !sameSettings(want, cur) {
			return nil, queueExists(in.QueueName)
		}
		return queueURLOutput{QueueUrl: h.queueURL(r, in.QueueName)}, nil
	} else if !errors.Is(err, sluice.ErrQueueNotFound) {
		return nil, err
	}
	cfg := h.limits.QueueDefaults(sluice.QueueConfig{Name: in.QueueName, Tags: in.Tags})
	applyUpdate(&cfg, u)
	created, _, err := h.engine.CreateQueue(ctx, cfg)
	if errors.Is(err, sluice.ErrQueueExists) {
		return nil, queueExists(in.QueueName)
	} else if err != nil {
		return nil, err
	}
	if created.VisibilityTimeout != cfg.VisibilityTimeout {
		// The engine reads a zero visibility timeout at creation as "the
		// default"; SQS allows 0, which an update can set.
		if _, err := h.engine.UpdateQueue(ctx, in.QueueName, sluice.QueueUpdate{VisibilityTimeout: &cfg.VisibilityTimeout}); err != nil {
			return nil, err
		}
	}
	return queueURLOutput{QueueUrl: h.queueURL(r, in.QueueName)}, nil
}

// checkRedriveAllowed checks that the dead-letter queue a RedrivePolicy
// names exists and that its RedriveAllowPolicy admits the source queue.
func (h *Handler) checkRedriveAllowed(r *awswire.Request, source string, dl *sluice.DeadLetterPolicy) error {
	if dl == nil || dl.Queue == "" {
		return nil
	}
	target, err := h.engine.GetQueue(r.HTTP.Context(), dl.Queue)
	if errors.Is(err, sluice.ErrQueueNotFound) {
		return invalidAttributeValue("RedrivePolicy", "Dead letter target does not exist.")
	}
	if err != nil {
		return err
	}
	if !allowsSource(target.RedriveAllowPolicy, h.queueARN(source)) {
		return invalidAttributeValue("RedrivePolicy", "The dead-letter queue's RedriveAllowPolicy does not allow this queue as a source.")
	}
	return nil
}

func (h *Handler) getQueueURL(r *awswire.Request) (any, error) {
	var in getQueueURLInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, awswire.MissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != h.aws.Account {
		return nil, errQueueDoesNotExist
	}
	if _, err := h.engine.GetQueue(r.HTTP.Context(), in.QueueName); err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: h.queueURL(r, in.QueueName)}, nil
}

// Page tokens are the last name listed, in URL-safe base64.
func encodeToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", awswire.InvalidParameterValue("NextToken", tok, "Invalid or expired next token.")
	}
	return string(b), nil
}

func maxResults(p *int) (int, error) {
	if p == nil {
		return 0, nil
	}
	if *p < 1 || *p > 1000 {
		return 0, awswire.InvalidParameterValue("MaxResults", itoa(*p), "MaxResults must be an integer between 1 and 1000.")
	}
	return *p, nil
}

func (h *Handler) listQueues(r *awswire.Request) (any, error) {
	var in listQueuesInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	n := limit
	if n == 0 {
		n = 1000
	}
	qs, err := h.engine.ListQueues(r.HTTP.Context(), in.QueueNamePrefix, after, n+1)
	if err != nil {
		return nil, err
	}
	out := listQueuesOutput{}
	if len(qs) > n {
		qs = qs[:n]
		if limit > 0 {
			out.NextToken = encodeToken(qs[n-1].Name)
		}
	}
	for _, q := range qs {
		out.QueueUrls = append(out.QueueUrls, h.queueURL(r, q.Name))
	}
	return out, nil
}

func (h *Handler) listDeadLetterSourceQueues(r *awswire.Request) (any, error) {
	var in listDeadLetterSourceQueuesInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	limit, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	if _, err := h.engine.GetQueue(ctx, name); err != nil {
		return nil, err
	}
	n := limit
	if n == 0 {
		n = 1000
	}
	out := listDeadLetterSourceQueuesOutput{QueueUrls: []string{}}
	all, err := h.deadLetterSources(ctx, name)
	if err != nil {
		return nil, err
	}
	var sources []string
	for _, s := range all {
		if s > after {
			sources = append(sources, s)
		}
	}
	if len(sources) > n {
		sources = sources[:n]
		if limit > 0 {
			out.NextToken = encodeToken(sources[n-1])
		}
	}
	for _, s := range sources {
		out.QueueUrls = append(out.QueueUrls, h.queueURL(r, s))
	}
	return out, nil
}

func (h *Handler) deleteQueue(r *awswire.Request) (any, error) {
	var in queueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	// As in SQS, a dead-letter queue can be deleted; its source queues'
	// RedrivePolicy still names it, and their messages stay in them.
	return nil, h.engine.DeleteQueueInUse(r.HTTP.Context(), name)
}

func (h *Handler) purgeQueue(r *awswire.Request) (any, error) {
	var in queueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	_, err = h.engine.PurgeQueue(r.HTTP.Context(), name)
	return nil, err
}

func (h *Handler) getQueueAttributes(r *awswire.Request) (any, error) {
	var in getQueueAttributesInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ctx := r.HTTP.Context()
	cfg, err := h.engine.GetQueue(ctx, name)
	if err != nil {
		return nil, err
	}
	var st sluice.QueueStats
	if len(in.AttributeNames) > 0 {
		if st, err = h.engine.Stats(ctx, name); err != nil {
			return nil, err
		}
	}
	attrs, err := h.queueAttributes(cfg, st, in.AttributeNames)
	if err != nil {
		return nil, err
	}
	return attributesOutput{Attributes: attrs}, nil
}

func (h *Handler) setQueueAttributes(r *awswire.Request) (any, error) {
	var in setQueueAttributesInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Attributes == nil {
		return nil, awswire.MissingParameter("Attributes")
	}
	ctx := r.HTTP.Context()
	cfg, err := h.engine.GetQueue(ctx, name)
	if err != nil {
		return nil, err
	}
	u, err := h.parseAttributes(in.Attributes, cfg.Type == sluice.FIFO, false)
	if err != nil {
		return nil, err
	}
	if err := h.checkRedriveAllowed(r, name, u.DeadLetter); err != nil {
		return nil, err
	}
	_, err = h.engine.UpdateQueue(ctx, name, u)
	return nil, err
}

func (h *Handler) tagQueue(r *awswire.Request) (any, error) {
	var in tagQueueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, awswire.MissingParameter("Tags")
	}
	if err := sluice.ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	return nil, h.engine.TagQueue(r.HTTP.Context(), name, in.Tags)
}

func (h *Handler) untagQueue(r *awswire.Request) (any, error) {
	var in untagQueueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, awswire.MissingParameter("TagKeys")
	}
	return nil, h.engine.UntagQueue(r.HTTP.Context(), name, in.TagKeys)
}

func (h *Handler) listQueueTags(r *awswire.Request) (any, error) {
	var in queueInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	cfg, err := h.engine.GetQueue(r.HTTP.Context(), name)
	if err != nil {
		return nil, err
	}
	return listQueueTagsOutput{Tags: cfg.Tags}, nil
}

// sqsActions are the action names AddPermission accepts.
var sqsActions = []string{"*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
	"GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ListQueueTags"}

// policyDoc is a queue policy; statements are kept as they were given.
type policyDoc struct {
	Version   string           `json:"Version"`
	ID        string           `json:"Id,omitempty"`
	Statement []map[string]any `json:"Statement"`
}

// addPermission adds a statement with Sid Label to the queue's policy, as
// SQS does. The policy is stored, not enforced.
func (h *Handler) addPermission(r *awswire.Request) (any, error) {
	var in addPermissionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Label == "":
		return nil, awswire.MissingParameter("Label")
	case len(in.AWSAccountIds) == 0:
		return nil, awswire.MissingParameter("AWSAccountIds")
	case len(in.Actions) == 0:
		return nil, awswire.MissingParameter("Actions")
	}
	actions := make([]string, len(in.Actions))
	for i, a := range in.Actions {
		if !slices.Contains(sqsActions, a) {
			return nil, awswire.InvalidParameterValue("ActionName", a, "Only the queue owner is allowed to invoke this action.")
		}
		actions[i] = "SQS:" + a
	}
	principals := make([]string, len(in.AWSAccountIds))
	for i, id := range in.AWSAccountIds {
		principals[i] = "arn:aws:iam::" + id + ":root"
	}
	return nil, h.changePolicy(r, name, func(p *policyDoc) error {
		for _, st := range p.Statement {
			if st["Sid"] == in.Label {
				return awswire.InvalidParameterValue("Label", in.Label, "Already exists.")
			}
		}
		p.Statement = append(p.Statement, map[string]any{
			"Sid": in.Label, "Effect": "Allow", "Principal": map[string]any{"AWS": principals},
			"Action": actions, "Resource": h.queueARN(name),
		})
		return nil
	})
}

func (h *Handler) removePermission(r *awswire.Request) (any, error) {
	var in removePermissionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := h.queueName(r, in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.Label == "" {
		return nil, awswire.MissingParameter("Label")
	}
	return nil, h.changePolicy(r, name, func(p *policyDoc) error {
		i := slices.IndexFunc(p.Statement, func(st map[string]any) bool { return st["Sid"] == in.Label })
		if i < 0 {
			return awswire.InvalidParameterValue("Label", in.Label, "can't find label on existing policy.")
		}
		p.Statement = slices.Delete(p.Statement, i, i+1)
		return nil
	})
}

// changePolicy reads the queue's policy (or a new one), lets change edit
// it and stores the result; a policy left without statements is removed.
func (h *Handler) changePolicy(r *awswire.Request, name string, change func(*policyDoc) error) error {
	ctx := r.HTTP.Context()
	cfg, err := h.engine.GetQueue(ctx, name)
	if err != nil {
		return err
	}
	p := policyDoc{Version: "2012-10-17", ID: h.queueARN(name) + "/SQSDefaultPolicy"}
	if cfg.Policy != "" {
		if err := json.Unmarshal([]byte(cfg.Policy), &p); err != nil {
			return awswire.InvalidParameter("The queue's policy is not a policy document: %v", err)
		}
	}
	if err := change(&p); err != nil {
		return err
	}
	policy := ""
	if len(p.Statement) > 0 {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		policy = string(b)
	}
	_, err = h.engine.UpdateQueue(ctx, name, sluice.QueueUpdate{Policy: &policy})
	return err
}
