package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/riverqueue/river"

	"github.com/nextflow-dev/nextflow/internal/benchmeter"
	"github.com/nextflow-dev/nextflow/internal/config"
	"github.com/nextflow-dev/nextflow/internal/engine"
	"github.com/nextflow-dev/nextflow/internal/httpbench"
	"github.com/nextflow-dev/nextflow/internal/ingest"
	"github.com/nextflow-dev/nextflow/internal/store"
)

const benchHTTPUsage = `usage:
  nextflow bench webhook --db sqlite|postgres [--requests N] [--clients C] [--start-batch B] [--start-batchers R] [--skip-alone] [--signed]
      posts to a three-node webhook journey answered on completion: a phase with every start in
      its own transaction (start batch 1; --skip-alone leaves it out), then one with the start
      group commit (B per transaction, default 64; R transactions at once, default 2). --signed:
      the webhook asks for an HMAC signature keyed with a credential and every request is signed.
      Each phase reports CPU µs per request (this process and, on a PostgreSQL server on this
      machine, its processes) and, with pg_stat_statements loaded, statements and commits per request.
  nextflow bench events --db sqlite|postgres [--batches N] [--batch-size S] [--clients C] [--contacts K]
      posts batches of events to /api/v1/events (events:write key) for a trigger.event → end
      journey: saturated with C clients, each request alone and with the events group commit
      (--group-requests per transaction at most, default 64; --group-runners at once, default 4), alternated twice; then
      paced at half the grouped rate. Every event of those phases starts a journey; then a mixed stream where one
      event in four does (the others are page views and clicks that start nothing), saturated twice and paced at
      half that rate, and a phase whose events start nothing (ingest only). Each phase reports CPU µs per event
      (this process and, on a PostgreSQL server on this machine, its processes) and, with pg_stat_statements
      loaded, statements and commits per request. --batch-size 1 measures single events.
  --cpuprofile FILE writes a CPU profile of the run.
Both serve the real API on a loopback port and time each request from send to answer.`

// isBenchHTTP reports whether kind is one of the HTTP benches.
func isBenchHTTP(kind string) bool { return kind == "webhook" || kind == "events" }

// benchHTTP runs `nextflow bench webhook|events` on a fresh database.
func benchHTTP(ctx context.Context, kind string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench "+kind, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	db := fs.String("db", "sqlite", "sqlite or postgres")
	requests := fs.Int("requests", 10000, "webhook requests per phase")
	clients := fs.Int("clients", 0, "concurrent clients (webhook 32, events 16)")
	startBatch := fs.Int("start-batch", engine.DefaultStartBatch, "starts per group-commit transaction in the second webhook phase")
	startBatchers := fs.Int("start-batchers", engine.DefaultStartBatchers, "start group-commit transactions that run at once in the second webhook phase")
	skipAlone := fs.Bool("skip-alone", false, "bench webhook: leave out the phase with every start alone")
	signed := fs.Bool("signed", false, "bench webhook: the webhook asks for an HMAC signature keyed with a credential, and each request is signed")
	batches := fs.Int("batches", 400, "event batches in the saturated phase")
	batchSize := fs.Int("batch-size", 100, "events per batch")
	contacts := fs.Int("contacts", 10000, "distinct contacts the events name")
	groupRequests := fs.Int("group-requests", ingest.DefaultGroupRequests, "requests per events group-commit transaction in the grouped phases")
	groupRunners := fs.Int("group-runners", ingest.DefaultGroupRunners, "events group-commit transactions that run at once")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + benchHTTPUsage}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	workers := river.NewWorkers()
	st, cleanup, err := benchStore(ctx, *db, store.QueueConfig{Workers: workers})
	if err != nil {
		return err
	}
	defer cleanup()
	meter := benchmeter.Open(ctx, benchMeterURL(*db))
	defer meter.Close()
	var res fmt.Stringer
	switch kind {
	case "webhook":
		res, err = httpbench.Webhook(ctx, st, httpbench.WebhookConfig{Workers: workers, Requests: *requests, Clients: *clients,
			StartBatch: *startBatch, StartBatchers: *startBatchers, SkipAlone: *skipAlone, Signed: *signed, Meter: meter.Read})
	default:
		res, err = httpbench.Events(ctx, st, httpbench.EventsConfig{Workers: workers, Batches: *batches, BatchSize: *batchSize,
			Clients: *clients, Contacts: *contacts, GroupRequests: *groupRequests, GroupRunners: *groupRunners, Meter: meter.Read})
	}
	if err != nil {
		return fmt.Errorf("bench %s: %w", kind, err)
	}
	fmt.Fprint(stdout, res.String())
	return nil
}
