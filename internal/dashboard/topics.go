package dashboard

import (
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/engine"
	"github.com/sluicehq/sluice/internal/push"
	"strconv"
)

// Fan-out picture geometry, in SVG user units; templates/topics.html
// draws the boxes with the same sizes.
const (
	fanWidth   = 780
	fanRowH    = 34
	fanTopicX  = 10
	fanTopicW  = 170
	fanSubX    = 330
	fanSubW    = 440
	fanPadding = 8
)

// topicView is one topic with its fan-out picture, as rendered and as JSON.
type topicView struct {
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	Published uint64    `json:"published"`
	Copies    uint64    `json:"copies"`
	Filtered  uint64    `json:"filtered"`
	Subs      []subView `json:"subs"`
	Hidden    int       `json:"hidden"` // subscriptions not drawn
	Height    int       `json:"-"`
	TopicY    int       `json:"-"` // the topic box's top
}

// subView is one subscription in a topic's picture.
type subView struct {
	ID        string `json:"id"`
	Protocol  string `json:"protocol"`
	Endpoint  string `json:"endpoint"`
	Queue     string `json:"-"`
	Confirmed bool   `json:"confirmed"`
	Copies    uint64 `json:"copies"`
	Filtered  uint64 `json:"filtered"`
	// Outcomes of HTTP delivery attempts, by push.Outcome; empty for
	// queue subscriptions.
	Outcomes map[string]uint64 `json:"outcomes,omitempty"`
	Y        int               `json:"-"` // the box's top
	Path     string            `json:"-"` // the edge from the topic
}

type topicsData struct {
	Listing `json:"-"`
	Topics  []topicView `json:"topics"`
	Width   int         `json:"-"`
}

func (d *Dashboard) topicsData(r *http.Request) (*topicsData, error) {
	all, err := d.e.TopicMetrics(r.Context())
	if err != nil {
		return nil, err
	}
	out := &topicsData{Width: fanWidth}
	out.Query, _, out.Page = pageOf(r)
	out.All = len(all)
	needle := strings.ToLower(out.Query)
	var matched []engine.TopicMetrics
	for _, t := range all {
		if needle == "" || strings.Contains(strings.ToLower(t.Name), needle) {
			matched = append(matched, t)
		}
	}
	from, to := paginate(&out.Listing, "/ui/topics", len(matched), max(d.opts.PageSize/5, 5))
	pushes := map[string]push.SubscriptionStats{}
	if d.opts.Push != nil {
		for _, s := range d.opts.Push.Stats() {
			pushes[s.Subscription] = s
		}
	}
	for _, t := range matched[from:to] {
		out.Topics = append(out.Topics, layoutTopic(t, pushes))
	}
	return out, nil
}

// layoutTopic places a topic on the left and its subscriptions on the
// right, one row each, with a curve from the topic to each.
func layoutTopic(t engine.TopicMetrics, pushes map[string]push.SubscriptionStats) topicView {
	v := topicView{Name: t.Name, Type: string(t.Type), Published: t.Published, Copies: t.Copies, Filtered: t.Filtered}
	subs := t.Subscriptions
	if len(subs) > maxFanout {
		v.Hidden = len(subs) - maxFanout
		subs = subs[:maxFanout]
	}
	rows := max(len(subs), 1)
	v.Height = rows*fanRowH + 2*fanPadding
	v.TopicY = v.Height/2 - (fanRowH-6)/2
	fromX, fromY := fanTopicX+fanTopicW, v.Height/2
	for i, s := range subs {
		sv := subView{ID: s.ID, Protocol: string(s.Protocol), Endpoint: s.Endpoint, Queue: s.Queue,
			Confirmed: s.Confirmed, Copies: s.Copies, Filtered: s.Filtered, Y: fanPadding + i*fanRowH}
		if p, ok := pushes[s.ID]; ok {
			sv.Outcomes = map[string]uint64{}
			for j, o := range push.Outcomes {
				sv.Outcomes[string(o)] = p.Attempts[j]
			}
		}
		toY := sv.Y + (fanRowH-6)/2
		mid := (fromX + fanSubX) / 2
		sv.Path = "M" + itoa(fromX) + " " + itoa(fromY) + " C" + itoa(mid) + " " + itoa(fromY) + " " + itoa(mid) + " " + itoa(toY) + " " + itoa(fanSubX) + " " + itoa(toY)
		v.Subs = append(v.Subs, sv)
	}
	return v
}

func itoa(i int) string { return strconv.Itoa(i) }

func (d *Dashboard) topics(w http.ResponseWriter, r *http.Request) {
	data, err := d.topicsData(r)
	if err != nil {
		d.fail(w, err)
		return
	}
	d.render(w, "topics", "Topics", "topics", true, data)
}

func (d *Dashboard) topicsJSON(w http.ResponseWriter, r *http.Request) {
	data, err := d.topicsData(r)
	if err != nil {
		d.fail(w, err)
		return
	}
	writeJSON(w, data)
}
