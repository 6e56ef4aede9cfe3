package config

import (
	"flag"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Observability defaults.
const (
	// DefaultSlowQuery is NEXTFLOW_SLOW_QUERY_MS's default.
	DefaultSlowQuery = 100 * time.Millisecond
	// DefaultQueryRepeatLimit is NEXTFLOW_QUERY_REPEAT_LIMIT's default.
	DefaultQueryRepeatLimit = 10
)

// Metrics configures query monitoring and the Prometheus endpoint.
type Metrics struct {
	// Addr is where /metrics is served on a listener of its own
	// (NEXTFLOW_METRICS_ADDR, e.g. 127.0.0.1:9090, on every role); empty:
	// /metrics is served on the main address, and only with Token.
	Addr string
	// Token, when set, must be sent as "Authorization: Bearer <token>" to
	// read /metrics (NEXTFLOW_METRICS_TOKEN, at least 32 characters; env
	// only). With neither Addr nor Token there is no /metrics.
	Token string
	// SlowQuery is the duration from which a query is logged as slow
	// (NEXTFLOW_SLOW_QUERY_MS, default 100; 0 turns the log off).
	SlowQuery time.Duration
	// QueryRepeatLimit is how many times one query may run in one request
	// or job before it is logged as an N+1 suspicion
	// (NEXTFLOW_QUERY_REPEAT_LIMIT, default 10).
	QueryRepeatLimit int
}

type metricsSettings struct {
	addr, slow, repeat *string
	token              string
}

func metricsFlags(fs *flag.FlagSet, env func(name, def string) string) metricsSettings {
	return metricsSettings{
		addr:   fs.String("metrics-addr", env("NEXTFLOW_METRICS_ADDR", ""), "serve /metrics on this address of its own (empty: on the main address with NEXTFLOW_METRICS_TOKEN)"),
		slow:   fs.String("slow-query-ms", env("NEXTFLOW_SLOW_QUERY_MS", strconv.Itoa(int(DefaultSlowQuery.Milliseconds()))), "log queries slower than this many milliseconds (0: never)"),
		repeat: fs.String("query-repeat-limit", env("NEXTFLOW_QUERY_REPEAT_LIMIT", strconv.Itoa(DefaultQueryRepeatLimit)), "warn when one query runs more often than this in one request or job"),
		token:  env("NEXTFLOW_METRICS_TOKEN", ""), // no flag: a token on the command line shows in ps
	}
}

func (m metricsSettings) parse() (Metrics, error) {
	out := Metrics{Addr: *m.addr, Token: m.token}
	if out.Addr != "" {
		if _, _, err := net.SplitHostPort(out.Addr); err != nil {
			return out, &Error{Name: "NEXTFLOW_METRICS_ADDR", Msg: fmt.Sprintf("must be host:port or :port, got %q", out.Addr)}
		}
	}
	if out.Token != "" && len(out.Token) < 32 {
		return out, &Error{Name: "NEXTFLOW_METRICS_TOKEN", Msg: "must be at least 32 characters (e.g. openssl rand -hex 32)"}
	}
	ms, err := strconv.Atoi(*m.slow)
	if err != nil || ms < 0 || ms > 3_600_000 {
		return out, &Error{Name: "NEXTFLOW_SLOW_QUERY_MS", Msg: fmt.Sprintf("must be an integer from 0 (off) to 3600000, got %q", *m.slow)}
	}
	out.SlowQuery = time.Duration(ms) * time.Millisecond
	n, err := strconv.Atoi(*m.repeat)
	if err != nil || n < 1 || n > 100_000 {
		return out, &Error{Name: "NEXTFLOW_QUERY_REPEAT_LIMIT", Msg: fmt.Sprintf("must be an integer from 1 to 100000, got %q", *m.repeat)}
	}
	out.QueryRepeatLimit = n
	return out, nil
}
