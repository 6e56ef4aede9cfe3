// Command nextflow runs NextFlow: the API, the dashboard and the workers in
// one binary.
//
//	nextflow serve [--role all|api|worker] [--migrate]   run the server
//	nextflow migrate up|status                           manage the schema
//	nextflow admin create-user|create-tenant             bootstrap accounts
//	nextflow secrets rotate-key                          re-seal credentials under the current key
//	nextflow bench engine|cron                           measure throughput
//	nextflow openapi                                     print the OpenAPI document
//	nextflow healthcheck [--url URL]                     exit 0 when /readyz answers 200
//	nextflow version                                     print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/nextflow-dev/nextflow/internal/config"
)

// version is set with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: nextflow <command> [flags]

commands:
  serve     run the API, dashboard and workers (flags: --addr --data-dir --role --migrate …)
  migrate   up | status: apply or show database migrations
  admin     create-user | create-tenant: bootstrap accounts from the shell
  secrets   rotate-key: re-seal every credential under NEXTFLOW_SECRET_KEY
  bench     engine | cron: measure the engine and the scheduler
  openapi   print the OpenAPI 3.1 document
  healthcheck  exit 0 when the local /readyz answers 200 (container health checks)
  version   print the version
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stderr)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout)
	case "admin":
		err = cmdAdmin(ctx, args[1:], stdout)
	case "secrets":
		err = cmdSecrets(ctx, args[1:], stdout, os.Getenv)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout)
	case "openapi":
		err = cmdOpenAPI(stdout)
	case "healthcheck":
		err = cmdHealthcheck(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "nextflow", version)
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "nextflow: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var cerr *config.Error
		if errors.As(err, &cerr) {
			fmt.Fprintf(stderr, "nextflow: configuration error: %s\n", cerr.Error())
		} else {
			fmt.Fprintf(stderr, "nextflow: %v\n", err)
		}
		return 1
	}
	return 0
}
