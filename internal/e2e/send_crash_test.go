package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/nextflow-dev/nextflow/internal/channel/email/smtptest"
	"github.com/nextflow-dev/nextflow/internal/channel/metafake"
	"github.com/nextflow-dev/nextflow/internal/proctest"
)

// sendWindow bounds the time from the provider accepting a call to the
// kill that kept its outcome from being committed. The outcome goes to the
// next advance group commit, milliseconds after the call on an idle
// machine, and is retried for up to 30 s (protocol item 8). The sharp
// check is the other half of the window: the outcome was not committed
// when the process died (kill.committed).
const sendWindow = 30 * time.Second

// sendJourney is trigger.event(order.placed) → email.send → whatsapp.send
// (an approved template: no 24-hour window needed) → end.
func sendJourney() map[string]any {
	node := func(id, typ string, cfg map[string]any, y int) map[string]any {
		return map[string]any{"id": id, "type": typ, "config": cfg, "position": map[string]any{"x": 0, "y": y}}
	}
	return map[string]any{
		"nodes": []any{
			node("start", "trigger.event", map[string]any{"event": "order.placed", "reentry": "always"}, 0),
			node("mail", "email.send", map[string]any{"subject": "Order {{ trigger.event.properties.order }}",
				"text": "Thanks for order {{ trigger.event.properties.order }}.", "html": "<p>Thanks for order {{ trigger.event.properties.order }}.</p>"}, 100),
			node("chat", "whatsapp.send", map[string]any{"template": map[string]any{"name": "order_update", "language": "en_US",
				"parameters": []string{"{{ trigger.event.properties.order }}"}}}, 200),
			node("done", "end", map[string]any{}, 300),
		},
		"edges": []any{
			map[string]any{"id": "e1", "source": "start", "target": "mail"},
			map[string]any{"id": "e2", "source": "mail", "target": "chat"},
			map[string]any{"id": "e3", "source": "chat", "target": "done"},
		},
	}
}

var wantSendPath = []string{"start", "mail", "chat", "done"}

// sendDelivery is one message as a sink received it.
type sendDelivery struct {
	key string // the stable per-send key: Message-ID, or the WhatsApp callback data
	to  string
	// nextflowID is the messages row it belongs to (X-NextFlow-Message-ID,
	// or the callback data, which is the row's ID).
	nextflowID string
	at         time.Time
}

// TestSendsSurviveSIGKILLPostgres runs a journey that sends one email
// (to an in-process SMTP server) and one WhatsApp template message (to the
// fake Cloud API) for each of a few hundred contacts, SIGKILLs the server
// twice in the middle of the sends and restarts it on the same database.
// Every execution completes, every contact gets exactly one logical email
// and one logical WhatsApp message, and a message delivered twice (same
// Message-ID, same callback data) has a kill between its deliveries,
// within sendWindow of the first: the at-least-once window of
// docs/architecture.md, protocol item 5, and no more than the bound of
// uncommitted calls per kill (set to 32 here).
// The emails are called by the process that started their executions
// (no job): the kills fall among started, queued, called and recorded
// ones, and those left are recovered once the killed process's heartbeat
// lapses (engine node.go: seconds), long before their recovery time. The
// WhatsApp sends go through advance jobs. NEXTFLOW_E2E_SENDS sets the
// number of contacts (default 150: 300 sends).
func TestSendsSurviveSIGKILLPostgres(t *testing.T) {
	t.Parallel()
	contacts := 150
	if v, err := strconv.Atoi(os.Getenv("NEXTFLOW_E2E_SENDS")); err == nil && v > 0 {
		contacts = v
	}
	dbURL := proctest.PostgresDatabase(t)
	smtp, err := smtptest.Start(smtptest.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = smtp.Close() })
	graph := metafake.New(metafake.Options{})
	t.Cleanup(graph.Close)
	const phoneNumberID, accessToken = "106540352242922", "wa-token"
	graph.AddWhatsAppNumber(metafake.WhatsAppNumber{PhoneNumberID: phoneNumberID, DisplayPhoneNumber: "+1 555 0100",
		VerifiedName: "Crash Shop", Token: accessToken, AppSecret: []byte("wa-app-secret")})

	// Half the default bound of uncommitted calls, through the setting,
	// which the duplicates are held to below.
	const maxUncommitted = 32
	procEnv := append(env(dbURL, ""), "NEXTFLOW_META_GRAPH_URL="+graph.URL(), fmt.Sprintf("NEXTFLOW_MAX_UNCOMMITTED_CALLS=%d", maxUncommitted))
	dataDir := t.TempDir()
	p := proctest.Serve(t, procEnv, "--migrate", "--data-dir", dataDir)
	c := &client{t: t, base: p.URL()}
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/auth/signup", map[string]string{
		"email": "ops@example.com", "password": "correct horse battery", "name": "Ops", "workspaceName": "Sends"}, nil))
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/channels", map[string]any{"kind": "email", "name": "smtp",
		"config": map[string]any{"host": smtp.Host, "port": smtp.Port, "tls": "none", "from": "shop@example.com", "fromName": "Shop"}}, nil))
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/channels", map[string]any{"kind": "whatsapp", "name": "wa",
		"config":  map[string]any{"phoneNumberId": phoneNumberID, "messagesPerSecond": 1000},
		"secrets": map[string]string{"accessToken": accessToken, "appSecret": "wa-app-secret", "verifyToken": "wa-verify"}}, nil))
	var wf struct{ ID string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/workflows", map[string]any{"name": "order sends", "definition": sendJourney()}, &wf))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/publish", nil, nil))
	require.Equal(t, http.StatusOK, c.do(http.MethodPost, "/api/v1/workflows/"+wf.ID+"/activate", nil, nil))
	var key struct{ Key string }
	require.Equal(t, http.StatusCreated, c.do(http.MethodPost, "/api/v1/api-keys", map[string]any{"name": "ingest", "scopes": []string{"events:write"}}, &key))

	// One order per contact, posted in batches: each starts one execution.
	wantEmail, wantPhone := map[string]bool{}, map[string]bool{}
	for from := 0; from < contacts; from += 500 {
		var batch []any
		for i := from; i < min(contacts, from+500); i++ {
			addr, phone := fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("+49151%08d", i)
			wantEmail[addr], wantPhone[strings.TrimPrefix(phone, "+")] = true, true
			batch = append(batch, map[string]any{"contact": map[string]any{"externalId": fmt.Sprintf("c%d", i), "email": addr, "phone": phone},
				"name": "order.placed", "properties": map[string]any{"order": fmt.Sprintf("A-%d", i)}, "messageId": fmt.Sprintf("order-%d", i)})
		}
		require.Equal(t, http.StatusOK, postEvent(t, p.URL(), key.Key, map[string]any{"batch": batch}))
	}

	begin := time.Now()
	sent := func() int { return int(smtp.Count()) + len(graph.WhatsAppSends()) }
	// Kill when a fifth and when half of the sends went out, so that
	// both kills fall among calls in flight.
	var kills []kill
	for _, frac := range []float64{0.2, 0.5} {
		want := int(frac * float64(2*contacts))
		// After the first kill the emails it left waiting go out once its
		// heartbeat lapses (10 s, and the new process's 5 s to settle), so
		// the second kill falls among those recovery jobs' calls and the
		// WhatsApp sends.
		deadline := time.Now().Add(90 * time.Second)
		for sent() < want {
			require.True(t, time.Now().Before(deadline), "only %d of %d sends after 90 s", sent(), want)
			time.Sleep(2 * time.Millisecond)
		}
		p.Kill()
		k := kill{at: time.Now(), committed: committedSends(t, dbURL)}
		kills = append(kills, k)
		t.Logf("SIGKILL after %d of %d sends (%s), %d outcomes committed", sent(), 2*contacts, time.Since(begin).Round(time.Millisecond), len(k.committed))
		p = proctest.Serve(t, procEnv, "--data-dir", dataDir)
		t.Logf("restarted (%s)", time.Since(begin).Round(time.Millisecond))
		c.base = p.URL()
	}

	// An email whose start committed and whose call had not been made
	// (or not recorded) when the process died is recovered once its
	// heartbeat has lapsed (engine node.go), seconds after the kill; the
	// rest go on at once. Its recovery time (3.5 min after the start,
	// which preceded begin) would have been later than this.
	execs := waitWorkflow(t, c, wf.ID, contacts, 120*time.Second)
	t.Logf("all executions finished (%s)", time.Since(begin).Round(time.Millisecond))
	require.Less(t, time.Since(begin), 3*time.Minute, "recovered through the dead process's heartbeat, not at the recovery time")
	for _, e := range execs {
		require.Equal(t, "COMPLETED", e.Status, "execution %s: %s", e.ID, e.Error)
		var path []string
		for _, s := range e.Steps {
			require.Equal(t, "COMPLETED", s.Status, "execution %s step %s", e.ID, s.NodeID)
			path = append(path, s.NodeID)
		}
		require.Equal(t, wantSendPath, path, "execution %s: every node once", e.ID)
	}

	// The sinks: per channel, each recipient got exactly one logical
	// message (one key), every key belongs to a messages row, and a key
	// received more than once was received again across a kill.
	var mails, chats []sendDelivery
	for _, m := range smtp.Messages() {
		parsed, err := m.Parse()
		require.NoError(t, err)
		require.Len(t, m.To, 1)
		mails = append(mails, sendDelivery{key: parsed.Header.Get("Message-ID"), to: strings.ToLower(m.To[0]),
			nextflowID: parsed.Header.Get("X-NextFlow-Message-ID"), at: m.At})
	}
	for _, s := range graph.WhatsAppSends() {
		require.Zero(t, s.ErrorCode, "a refused WhatsApp send: %+v", s)
		chats = append(chats, sendDelivery{key: s.CallbackData, to: s.To, nextflowID: s.CallbackData, at: s.At})
	}
	messages := listMessages(t, c, wf.ID)
	emailDups := checkDeliveries(t, "email", mails, wantEmail, messages, kills)
	chatDups := checkDeliveries(t, "whatsapp", chats, wantPhone, messages, kills)
	require.Len(t, messages, 2*contacts, "one messages row per send")
	// At most NEXTFLOW_MAX_UNCOMMITTED_CALLS calls per process killed are
	// made again: those between their slot and their outcome's commit.
	require.LessOrEqual(t, emailDups+chatDups, maxUncommitted*len(kills), "calls made again beyond the bound of %d per kill", maxUncommitted)
	for id, m := range messages {
		require.Equal(t, "sent", m.Status, "message %s (%s to %s)", id, m.Channel, m.Recipient)
	}
	t.Logf("send crash test: %d executions, %d kills, %d emails (%d duplicates), %d WhatsApp messages (%d duplicates), all duplicates inside the crash window",
		len(execs), len(kills), len(mails), emailDups, len(chats), chatDups)
}

// kill is one SIGKILL: when, and the messages whose send outcome was
// committed by then (outbox row no longer PENDING).
type kill struct {
	at        time.Time
	committed map[string]bool
}

// committedSends reads, straight from the database of the killed
// process, the messages whose send outcome was committed.
func committedSends(t *testing.T, dbURL string) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT request->>'messageId' FROM outbox
		WHERE status <> 'PENDING' AND kind IN ('email.send', 'whatsapp.send')`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// checkDeliveries asserts one logical message per wanted recipient and
// duplicates only inside the at-least-once window: each repeat follows a
// kill that came after the previous delivery (within sendWindow of it)
// and before that delivery's outcome was committed. It returns the
// number of duplicates.
func checkDeliveries(t *testing.T, channel string, got []sendDelivery, want map[string]bool, rows map[string]messageRow, kills []kill) int {
	t.Helper()
	byKey := map[string][]sendDelivery{}
	keysTo := map[string]map[string]bool{}
	for _, d := range got {
		require.NotEmpty(t, d.key, "%s delivery to %s without its stable key", channel, d.to)
		require.True(t, want[d.to], "%s delivery to an unexpected recipient %s", channel, d.to)
		byKey[d.key] = append(byKey[d.key], d)
		if keysTo[d.to] == nil {
			keysTo[d.to] = map[string]bool{}
		}
		keysTo[d.to][d.key] = true
	}
	for to := range want {
		require.Len(t, keysTo[to], 1, "%s to %s: exactly one logical message (none lost, none sent as a second message)", channel, to)
	}
	dups := 0
	var lags []time.Duration
	for key, ds := range byKey {
		row, ok := rows[ds[0].nextflowID]
		require.True(t, ok, "%s %s: delivered message %s has no messages row", channel, key, ds[0].nextflowID)
		require.Equal(t, channel, row.Channel)
		slices.SortFunc(ds, func(a, b sendDelivery) int { return a.at.Compare(b.at) })
		if row.SentAt != nil {
			lags = append(lags, row.SentAt.Sub(ds[len(ds)-1].at))
		}
		for i := 1; i < len(ds); i++ {
			dups++
			prev, next := ds[i-1].at, ds[i].at
			inWindow := false
			for _, k := range kills {
				if prev.Before(k.at) && next.After(k.at) && k.at.Sub(prev) < sendWindow && !k.committed[ds[0].nextflowID] {
					inWindow = true
				}
			}
			require.True(t, inWindow, "%s %s to %s delivered again outside a crash window: %s then %s (kills %v)",
				channel, key, ds[0].to, prev.Format(time.RFC3339Nano), next.Format(time.RFC3339Nano), killTimes(kills))
		}
	}
	slices.Sort(lags)
	if len(lags) > 0 {
		t.Logf("%s: from the sink's acceptance to the message recorded sent: p50 %s, p99 %s, max %s", channel,
			lags[len(lags)/2].Round(time.Millisecond), lags[len(lags)*99/100].Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond))
	}
	return dups
}

func killTimes(kills []kill) []string {
	var out []string
	for _, k := range kills {
		out = append(out, fmt.Sprintf("%s (%d committed)", k.at.Format(time.RFC3339Nano), len(k.committed)))
	}
	return out
}

type messageRow struct {
	ID, Channel, Recipient, Status string
	SentAt                         *time.Time
}

// listMessages returns the workflow's messages rows by ID.
func listMessages(t *testing.T, c *client, workflowID string) map[string]messageRow {
	t.Helper()
	out := map[string]messageRow{}
	cursor := ""
	for {
		var page struct {
			Items      []messageRow
			NextCursor string
		}
		q := url.Values{"workflowId": {workflowID}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		require.Equal(t, http.StatusOK, c.do(http.MethodGet, "/api/v1/messages?"+q.Encode(), nil, &page))
		for _, m := range page.Items {
			out[m.ID] = m
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

// waitWorkflow polls until the workflow has n executions, all terminal,
// and returns them with their steps.
func waitWorkflow(t *testing.T, c *client, workflowID string, n int, timeout time.Duration) []execution {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ids []string
		pending := 0
		cursor := ""
		for {
			var page struct {
				Items      []struct{ ID, Status string }
				NextCursor string
			}
			q := url.Values{"workflowId": {workflowID}, "limit": {"200"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			if c.do(http.MethodGet, "/api/v1/executions?"+q.Encode(), nil, &page) != http.StatusOK {
				pending = -1
				break
			}
			for _, e := range page.Items {
				ids = append(ids, e.ID)
				if e.Status != "COMPLETED" && e.Status != "FAILED" && e.Status != "CANCELLED" {
					pending++
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if pending == 0 && len(ids) == n {
			return waitAll(t, c, ids, time.Until(deadline))
		}
		if time.Now().After(deadline) {
			t.Fatalf("workflow %s: %d executions, %d not finished after %s", workflowID, len(ids), pending, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
