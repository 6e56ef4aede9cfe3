package httpbench

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/benchfixture"
	"github.com/nextflow-dev/nextflow/internal/benchmeter"
	"github.com/nextflow-dev/nextflow/internal/credential"
	"github.com/nextflow-dev/nextflow/internal/domain"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/secret"
	"github.com/nextflow-dev/nextflow/internal/store"
)

// WebhookConfig configures Webhook.
type WebhookConfig struct {
	// Workers is the River bundle the store was opened with; Webhook
	// registers the engine's workers in it and starts the queue.
	Workers *river.Workers
	// Requests per phase (default 5000) and concurrent clients (default 32).
	Requests, Clients int
	// StartBatch is the measured phase's engine.Options.StartBatch (default
	// engine.DefaultStartBatch); a first phase runs with 1 (every start in
	// a transaction of its own) for comparison.
	StartBatch int
	// StartBatchers is the measured phase's engine.Options.StartBatchers
	// (default engine.DefaultStartBatchers).
	StartBatchers int
	// SkipAlone leaves out the first phase (every start alone).
	SkipAlone bool
	// Signed makes the journey's webhook ask for an HMAC-SHA256 signature
	// keyed with a workspace credential, as a production webhook would;
	// each request is signed.
	Signed bool
	// Meter, when set, reads what the bench has used so far (as
	// EventsConfig.Meter); each phase then reports its CPU per request
	// (this process and the database server) and its statements and
	// commits per request.
	Meter func(context.Context) benchmeter.Usage
}

// WebhookResult is what Webhook measured.
type WebhookResult struct {
	Dialect string
	// Signed: the requests were signed (WebhookConfig.Signed).
	Signed bool
	Phases []Phase
}

// String renders the result, with the ratio of the last phase to the
// first.
func (r *WebhookResult) String() string {
	var b strings.Builder
	auth := "no auth"
	if r.Signed {
		auth = "signed, secret in a credential"
	}
	fmt.Fprintf(&b, "webhook → set_attribute → end, respond on_completion, %s (%s)\n", auth, r.Dialect)
	for _, p := range r.Phases {
		b.WriteString(p.String() + "\n")
	}
	if n := len(r.Phases); n > 1 && r.Phases[0].PerSecond() > 0 {
		fmt.Fprintf(&b, "group commit: ×%.2f executions/s, p99 ×%.2f\n", r.Phases[n-1].PerSecond()/r.Phases[0].PerSecond(),
			float64(r.Phases[n-1].P99)/float64(max(r.Phases[0].P99, 1)))
	}
	return b.String()
}

// webhookJourney is the measured journey: three nodes, answered when the
// execution ends (which its start does). %s is the webhook's auth config.
const webhookJourney = `{"nodes": [
  {"id": "hook", "type": "trigger.webhook", "config": {"respond": "on_completion", "timeout": "10s"%s}},
  {"id": "set", "type": "set_attribute", "config": {"target": "vars", "attributes": {"n": "has(trigger.input.n) ? trigger.input.n : 0"}}},
  {"id": "done", "type": "end"}],
 "edges": [{"id": "e1", "source": "hook", "target": "set"}, {"id": "e2", "source": "set", "target": "done"}]}`

// Webhook posts to a three-node webhook journey answered on completion,
// first with every start in its own transaction, then with the start
// group commit, each phase after a warm-up on its own server.
func Webhook(ctx context.Context, st store.Store, cfg WebhookConfig) (*WebhookResult, error) {
	if cfg.Requests <= 0 {
		cfg.Requests = 5000
	}
	if cfg.Clients <= 0 {
		cfg.Clients = 32
	}
	if cfg.StartBatch <= 0 {
		cfg.StartBatch = engine.DefaultStartBatch
	}
	tenant, err := benchfixture.Tenant(ctx, st, domain.PlanFree)
	if err != nil {
		return nil, err
	}
	auth, opts := "", engine.Options{}
	var secret []byte
	if cfg.Signed {
		creds, value, err := webhookCredential(ctx, st, tenant)
		if err != nil {
			return nil, err
		}
		auth, opts.Secrets, secret = `, "auth": "signature", "secretCredential": "BENCH_WEBHOOK"`, creds, []byte(value)
	}
	wf, err := benchfixture.Publish(ctx, st, tenant, "bench webhook", fmt.Sprintf(webhookJourney, auth))
	if err != nil {
		return nil, err
	}
	res := &WebhookResult{Dialect: string(st.Dialect()), Signed: cfg.Signed}
	workers := cfg.Workers
	batches := []int{1, cfg.StartBatch}
	if cfg.SkipAlone {
		batches = batches[1:]
	}
	for _, batch := range batches {
		opts.StartBatch, opts.StartBatchers = batch, cfg.StartBatchers
		srv, err := startServer(ctx, st, workers, opts, tenant, nil)
		if err != nil {
			return nil, err
		}
		workers = nil // registered and started once
		path := fmt.Sprintf("/webhooks/%s/%s", tenant, wf)
		do := func(ctx context.Context, i int) (int, error) {
			body := fmt.Appendf(nil, `{"n": %d}`, i)
			var header http.Header
			if secret != nil {
				mac := hmac.New(sha256.New, secret)
				mac.Write(body)
				header = http.Header{"X-Nextflow-Signature": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
			}
			status, body, err := srv.post(ctx, path, header, body)
			if err != nil {
				return 0, err
			}
			var out struct {
				Status string `json:"status"`
			}
			_ = json.Unmarshal(body, &out)
			if status != http.StatusOK || out.Status != "COMPLETED" {
				return 0, fmt.Errorf("status %d: %.200s", status, body)
			}
			return 1, nil
		}
		load(ctx, "warm-up", min(500, cfg.Requests), cfg.Clients, 0, do)
		cpu0 := benchmeter.ProcessCPU()
		var u0 benchmeter.Usage
		if cfg.Meter != nil {
			u0 = cfg.Meter(ctx)
		}
		txs0, starts0 := startBatchStats(srv.eng)
		p := load(ctx, fmt.Sprintf("start batch %d, %d clients", batch, cfg.Clients), cfg.Requests, cfg.Clients, 0, do)
		if txs, starts := startBatchStats(srv.eng); txs > txs0 {
			p.Extra = append(p.Extra, fmt.Sprintf("%.1f starts/transaction", float64(starts-starts0)/float64(txs-txs0)))
		}
		if p.Requests > 0 {
			// The load generator's CPU is in this figure too.
			p.Extra = append(p.Extra, fmt.Sprintf("process CPU %.0fµs/req", float64((benchmeter.ProcessCPU()-cpu0).Microseconds())/float64(p.Requests)))
			if cfg.Meter != nil {
				d := cfg.Meter(ctx).Since(u0)
				perReq := func(v int64) float64 { return float64(v) / float64(p.Requests) }
				p.Extra = append(p.Extra, fmt.Sprintf("database CPU %.0fµs/req", perReq(d.DBCPU.Microseconds())))
				if d.Counted {
					p.Extra = append(p.Extra, fmt.Sprintf("%.2f statements, %.3f commits/req, WAL %.1f records, %.0f bytes/req",
						perReq(d.Statements), perReq(d.Commits), perReq(d.WALRecords), perReq(d.WALBytes)))
				}
			}
		}
		srv.close()
		res.Phases = append(res.Phases, p)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// webhookCredential stores a random webhook secret as the credential
// BENCH_WEBHOOK of tenantID, sealed under a random key, and returns the
// credentials service that opens it and the secret.
func webhookCredential(ctx context.Context, st store.Store, tenantID uuid.UUID) (*credential.Service, string, error) {
	key := make([]byte, 32)
	value := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return nil, "", err
	}
	if _, err := rand.Read(value); err != nil {
		return nil, "", err
	}
	kr, err := secret.NewKeyring(key)
	if err != nil {
		return nil, "", fmt.Errorf("keyring: %w", err)
	}
	creds := credential.New(st, kr, slog.New(slog.NewTextHandler(io.Discard, nil)))
	in := credential.Input{Name: "BENCH_WEBHOOK", Kind: domain.CredentialWebhookSecret, Value: hex.EncodeToString(value)}
	err = st.InTx(ctx, tenantID, func(tx store.Tx) error {
		_, err := creds.InsertTx(ctx, tx, tenantID, in, nil)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("create webhook credential: %w", err)
	}
	return creds, in.Value, nil
}

// startBatchStats is eng's StartBatchStats, zero for an engine without
// them (the bench builds against older engines for comparisons).
func startBatchStats(eng any) (transactions, starts int64) {
	if s, ok := eng.(interface{ StartBatchStats() (int64, int64) }); ok {
		return s.StartBatchStats()
	}
	return 0, 0
}
