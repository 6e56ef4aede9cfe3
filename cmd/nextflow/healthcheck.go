package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/nextflow-dev/nextflow/internal/config"
)

const healthcheckUsage = `usage: nextflow healthcheck [--url URL] [--timeout 3s]
Exits 0 when URL (default http://127.0.0.1:<port of NEXTFLOW_ADDR>/readyz)
answers 200, 1 otherwise: a container health check for images without a shell.`

// cmdHealthcheck asks a running process whether it is ready.
func cmdHealthcheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "", "URL to check")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return &config.Error{Name: "flags", Msg: err.Error() + "\n" + healthcheckUsage}
	}
	if *url == "" {
		u, err := readyzURL(os.Getenv("NEXTFLOW_ADDR"))
		if err != nil {
			return err
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return &config.Error{Name: "url", Msg: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check %s: %w", *url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check %s: %s: %s", *url, resp.Status, body)
	}
	fmt.Fprintf(stdout, "%s: %s\n", *url, resp.Status)
	return nil
}

// readyzURL is the local /readyz URL of a process listening on addr
// (NEXTFLOW_ADDR; serve's default :3000 when empty).
func readyzURL(addr string) (string, error) {
	if addr == "" {
		addr = ":3000"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", &config.Error{Name: "NEXTFLOW_ADDR", Msg: fmt.Sprintf("not host:port: %q", addr)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
