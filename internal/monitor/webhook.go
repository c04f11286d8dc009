package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// sendWebhooks posts queued notices to their webhooks until ctx is done,
// trying each up to three times with growing pauses.
func (m *Monitor) sendWebhooks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-m.notices:
			body, err := json.Marshal(n)
			if err != nil {
				continue
			}
			for _, url := range n.webhooks {
				m.post(ctx, url, body)
			}
		}
	}
}

func (m *Monitor) post(ctx context.Context, url string, body []byte) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			t := time.NewTimer(time.Duration(attempt) * time.Second)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		if err = m.postOnce(ctx, url, body); err == nil {
			return
		}
	}
	m.log.Error("monitor: webhook failed", "url", url, "err", err)
}

func (m *Monitor) postOnce(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sluice-monitor")
	resp, err := m.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
