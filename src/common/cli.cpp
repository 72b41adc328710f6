#include <eventhub/common/cli.hpp>

#include <CLI/CLI.hpp>

#include <regex>

#ifndef EVENTHUB_VERSION
#define EVENTHUB_VERSION "0.0.0"
#endif
#ifndef EVENTHUB_GIT_COMMIT
#define EVENTHUB_GIT_COMMIT "unknown"
#endif

namespace eventhub::common {
namespace {

// Durations are integers with the unit in the flag name (`--read-timeout-ms`): no parsing surprises.
template <class Duration>
CLI::Option* add_duration(CLI::App& app, const std::string& flag, const std::string& env, Duration& target,
                          const std::string& description, int64_t min = 0) {
  auto* opt = app.add_option_function<int64_t>(
                     flag, [&target](const int64_t& v) { target = Duration{v}; }, description)
                  ->envname(env)
                  ->default_val(std::to_string(target.count()))
                  ->check(CLI::Range(min, int64_t{1} << 40));
  return opt;
}

template <class T>
CLI::Option* add(CLI::App& app, const std::string& flag, const std::string& env, T& target,
                 const std::string& description) {
  return app.add_option(flag, target, description)->envname(env)->capture_default_str();
}

void add_http(CLI::App& app, HttpServerConfig& http, uint16_t default_port, const std::string& port_flag = "--port",
              const std::string& port_env = "PORT", bool with_shared = true) {
  http.port = default_port;
  add(app, port_flag, port_env, http.port, "TCP port of this role's HTTP server")->check(CLI::Range(1, 65535));
  if (!with_shared) return;
  add(app, "--host", "HOST", http.host, "Address the HTTP servers listen on");
  add(app, "--http-threads", "HTTP_THREADS", http.io_threads, "I/O threads serving HTTP")->check(CLI::Range(1, 64));
  add(app, "--max-connections", "HTTP_MAX_CONNECTIONS", http.max_connections,
      "Open HTTP connections per server; more are closed at accept")
      ->check(CLI::Range(1, 1'000'000));
  add(app, "--header-limit", "HTTP_HEADER_LIMIT", http.header_limit, "Largest request header block in bytes")
      ->check(CLI::Range(1024, 1024 * 1024));
  add_duration(app, "--read-timeout-ms", "HTTP_READ_TIMEOUT_MS", http.read_timeout,
               "Time allowed to receive one whole request (headers and body)", 100);
  add_duration(app, "--idle-timeout-ms", "HTTP_IDLE_TIMEOUT_MS", http.idle_timeout,
               "Keep-alive connections idle longer than this are closed", 100);
}

void add_nats(CLI::App& app, NatsConfig& nats) {
  add(app, "--nats-url", "NATS_URL", nats.url, "NATS server URL(s), comma separated");
  add(app, "--stream", "NATS_STREAM", nats.stream, "JetStream stream holding accepted events");
  add(app, "--subject-prefix", "NATS_SUBJECT_PREFIX", nats.subject_prefix,
      "Events are published to <prefix>.<source>.<funnelStage>");
  add(app, "--dlq-stream", "NATS_DLQ_STREAM", nats.dlq_stream, "JetStream stream holding dead letters");
  add(app, "--dlq-subject-prefix", "NATS_DLQ_SUBJECT_PREFIX", nats.dlq_subject_prefix,
      "Dead letters are published to <prefix>.<reason>");
  add(app, "--consumer", "NATS_CONSUMER", nats.consumer, "Durable pull consumer shared by all workers");
  add_duration(app, "--duplicate-window-ms", "NATS_DUPLICATE_WINDOW_MS", nats.duplicate_window,
               "Stream de-duplication window for Nats-Msg-Id = eventId", 1000);
  add(app, "--stream-max-bytes", "NATS_STREAM_MAX_BYTES", nats.stream_max_bytes,
      "Stream size limit in bytes (-1 = none); when full, publishes fail (discard new) and ingest answers 503");
  add(app, "--stream-max-msgs", "NATS_STREAM_MAX_MSGS", nats.stream_max_msgs,
      "Stream message limit (-1 = none); discard new when reached");
  add_duration(app, "--stream-max-age-s", "NATS_STREAM_MAX_AGE_S", nats.stream_max_age,
               "Oldest message kept in the stream, seconds (0 = no age limit)");
  add(app, "--stream-replicas", "NATS_STREAM_REPLICAS", nats.replicas, "Stream replicas (3 in a NATS cluster)")
      ->check(CLI::Range(1, 5));
  add_duration(app, "--nats-connect-timeout-ms", "NATS_CONNECT_TIMEOUT_MS", nats.connect_timeout,
               "Timeout of one NATS connection attempt", 100);
}

void add_db(CLI::App& app, DatabaseConfig& db, CliConfig::DatabaseParts& parts, int pool_max, int pool_min,
            bool with_pool = true) {
  db.pool_max = pool_max;
  db.pool_min = pool_min;
  add(app, "--database-url", "DATABASE_URL", db.url,
      "PostgreSQL connection URL; when unset, built from DATABASE_HOST/PORT/USER/PASSWORD/NAME");
  add(app, "--database-host", "DATABASE_HOST", parts.host, "PostgreSQL host (when no DATABASE_URL)");
  add(app, "--database-port", "DATABASE_PORT", parts.port, "PostgreSQL port (when no DATABASE_URL)");
  add(app, "--database-user", "DATABASE_USER", parts.user, "PostgreSQL user (when no DATABASE_URL)");
  add(app, "--database-password", "DATABASE_PASSWORD", parts.password,
      "PostgreSQL password (when no DATABASE_URL); never logged");
  add(app, "--database-name", "DATABASE_NAME", parts.name, "PostgreSQL database (when no DATABASE_URL)");
  add_duration(app, "--db-connect-timeout-ms", "DB_CONNECT_TIMEOUT_MS", db.connect_timeout,
               "Timeout of one PostgreSQL connection attempt", 100);
  if (!with_pool) return;
  add(app, "--db-pool-max", "DB_POOL_MAX", db.pool_max, "Largest number of PostgreSQL connections")
      ->check(CLI::Range(1, 1000));
  add(app, "--db-pool-min", "DB_POOL_MIN", db.pool_min, "PostgreSQL connections kept open when idle")
      ->check(CLI::Range(0, 1000));
  add_duration(app, "--db-acquire-timeout-ms", "DB_ACQUIRE_TIMEOUT_MS", db.acquire_timeout,
               "Longest wait for a free pooled connection", 1);
  app.add_flag("!--no-migrate", db.migrate_on_start, "Do not apply sql/ migrations at start")
      ->envname("DB_MIGRATE_ON_START");
}

void add_ingest(CLI::App& app, IngestConfig& ingest) {
  add(app, "--body-limit", "INGEST_BODY_LIMIT", ingest.http.body_limit,
      "Largest request body in bytes (compressed size as sent); larger bodies get 413")
      ->check(CLI::Range(1024, 256 * 1024 * 1024));
  add(app, "--max-decompressed-size", "INGEST_MAX_DECOMPRESSED_SIZE", ingest.max_decompressed_size,
      "Largest body after gzip decompression in bytes; larger gets 413")
      ->check(CLI::Range(1024, 1024 * 1024 * 1024));
  add(app, "--max-batch-events", "INGEST_MAX_BATCH_EVENTS", ingest.max_batch_events,
      "Most events in one request; larger batches get 413")
      ->check(CLI::Range(1, 1'000'000));
  add(app, "--max-inflight-publishes", "INGEST_MAX_INFLIGHT_PUBLISHES", ingest.max_inflight_publishes,
      "Events awaiting their JetStream PubAck; a request that would exceed it gets 429")
      ->check(CLI::Range(1, 10'000'000));
  add_duration(app, "--publish-timeout-ms", "INGEST_PUBLISH_TIMEOUT_MS", ingest.publish_timeout,
               "Longest wait for a PubAck; on expiry the request gets 503", 10);
  add(app, "--retry-after", "INGEST_RETRY_AFTER_S", ingest.retry_after_seconds,
      "Seconds sent in Retry-After with 429 and 503")
      ->check(CLI::Range(1, 3600));
  add(app, "--api-keys", "INGEST_API_KEYS", ingest.api_keys,
      "Accepted API keys (Authorization: Bearer or X-Api-Key), comma separated; empty = no auth")
      ->delimiter(',');
  add(app, "--hmac-secret", "INGEST_HMAC_SECRET", ingest.hmac_secret,
      "When set, requests need X-Eventhub-Signature: t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\">");
  add_duration(app, "--hmac-tolerance-s", "INGEST_HMAC_TOLERANCE_S", ingest.hmac_tolerance,
               "Largest clock difference accepted in a signature timestamp, seconds", 1);
}

void add_worker(CLI::App& app, WorkerConfig& worker) {
  add(app, "--batch-size", "NATS_BATCH_SIZE", worker.batch_size, "Messages per fetch")
      ->check(CLI::Range(1, 100'000));
  add(app, "--concurrency", "NATS_CONCURRENCY", worker.concurrency, "Most messages being processed at once")
      ->check(CLI::Range(1, 1'000'000));
  add(app, "--max-ack-pending", "NATS_MAX_ACK_PENDING", worker.max_ack_pending, "Consumer MaxAckPending")
      ->check(CLI::Range(1, 10'000'000));
  add_duration(app, "--ack-wait-ms", "NATS_ACK_WAIT_MS", worker.ack_wait,
               "Consumer AckWait: unacknowledged messages are redelivered after it", 1000);
  add(app, "--max-deliver", "NATS_MAX_DELIVER", worker.max_deliver,
      "Deliveries of one message before the worker dead-letters it")
      ->check(CLI::Range(2, 1000));
  add_duration(app, "--fetch-timeout-ms", "NATS_FETCH_TIMEOUT_MS", worker.fetch_timeout,
               "Longest wait of one fetch for messages", 10);
  add_duration(app, "--db-retry-delay-ms", "DB_RETRY_DELAY_MS", worker.db_retry_delay,
               "Pause before retrying a batch after a retryable database error", 10);
  add_duration(app, "--stats-interval-ms", "WORKER_STATS_INTERVAL_MS", worker.stats_interval,
               "How often consumer pending / ack-pending are read for metrics", 100);
  app.add_flag("!--no-compactor", worker.compactor.enabled,
               "Do not fold stored events into the analytics rollups in this process (another worker must)")
      ->envname("ROLLUP_COMPACTOR");
  add_duration(app, "--rollup-interval-ms", "ROLLUP_INTERVAL_MS", worker.compactor.interval,
               "Compactor pause between steps when nothing is pending", 10);
  add(app, "--rollup-max-events", "ROLLUP_MAX_EVENTS", worker.compactor.max_events_per_step,
      "Most events the compactor folds in one transaction")
      ->check(CLI::Range(int64_t{1000}, int64_t{10'000'000}));
}

void add_progress(CLI::App& app, std::string& progress) {
  add(app, "--progress", "ROLLUP_PROGRESS", progress, "Progress display: auto, tty, plain, none")
      ->check(CLI::IsMember({"auto", "tty", "plain", "none"}));
}

void add_analytics(CLI::App& app, AnalyticsConfig& analytics) {
  add_duration(app, "--statement-timeout-ms", "ANALYTICS_STATEMENT_TIMEOUT_MS", analytics.statement_timeout,
               "Longest analytics query; over it the request gets 503", 1);
  add(app, "--query-threads", "ANALYTICS_QUERY_THREADS", analytics.query_threads,
      "Threads running blocking queries (bounded by the pool size)")
      ->check(CLI::Range(1, 256));
  add_duration(app, "--default-window-h", "ANALYTICS_DEFAULT_WINDOW_H", analytics.default_window,
               "Window used when neither from nor to is given, hours back from now", 1);
}

std::string build_database_url(const CliConfig::DatabaseParts& p) {
  std::string url = "postgresql://";
  url += p.user.empty() ? "postgres" : p.user;
  if (!p.password.empty()) url += ":" + p.password;
  url += "@" + (p.host.empty() ? std::string("127.0.0.1") : p.host);
  url += ":" + (p.port.empty() ? std::string("5432") : p.port);
  url += "/" + (p.name.empty() ? std::string("eventhub") : p.name);
  return url;
}

void resolve_database_url(const CLI::App& command, DatabaseConfig& db, const CliConfig::DatabaseParts& parts) {
  const bool url_given = command.get_option("--database-url")->count() > 0;
  const bool parts_given = !parts.host.empty() || !parts.port.empty() || !parts.user.empty() ||
                           !parts.password.empty() || !parts.name.empty();
  if (!url_given && parts_given) db.url = build_database_url(parts);
}

void check_pool(const DatabaseConfig& db, const char* what) {
  if (db.pool_min > db.pool_max)
    throw ConfigError(std::string(what) + ": --db-pool-min (" + std::to_string(db.pool_min) +
                      ") is larger than --db-pool-max (" + std::to_string(db.pool_max) + ")");
}

void check_nats_names(const NatsConfig& nats) {
  static const std::regex name{"^[A-Za-z0-9_-]{1,64}$"};
  static const std::regex subject{"^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"};
  if (!std::regex_match(nats.stream, name)) throw ConfigError("--stream: invalid stream name '" + nats.stream + "'");
  if (!std::regex_match(nats.dlq_stream, name))
    throw ConfigError("--dlq-stream: invalid stream name '" + nats.dlq_stream + "'");
  if (nats.stream == nats.dlq_stream) throw ConfigError("--dlq-stream must differ from --stream");
  if (!std::regex_match(nats.consumer, name))
    throw ConfigError("--consumer: invalid consumer name '" + nats.consumer + "'");
  if (!std::regex_match(nats.subject_prefix, subject))
    throw ConfigError("--subject-prefix: invalid subject '" + nats.subject_prefix + "'");
  if (!std::regex_match(nats.dlq_subject_prefix, subject))
    throw ConfigError("--dlq-subject-prefix: invalid subject '" + nats.dlq_subject_prefix + "'");
  if (nats.subject_prefix == nats.dlq_subject_prefix ||
      nats.dlq_subject_prefix.rfind(nats.subject_prefix + ".", 0) == 0)
    throw ConfigError("--dlq-subject-prefix must not overlap --subject-prefix");
}

}  // namespace

std::string version_string() { return std::string(EVENTHUB_VERSION) + " (" + EVENTHUB_GIT_COMMIT + ")"; }

Subcommands declare_cli(CLI::App& app, CliConfig& c) {
  Subcommands s;
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", "eventhub " + version_string());
  add(app, "--log-level", "LOG_LEVEL", c.process.log.level, "Log level: trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  add(app, "--log-format", "LOG_FORMAT", c.process.log.format, "Log lines as key=value text or JSON")
      ->check(CLI::IsMember({"text", "json"}));
  add_duration(app, "--drain-timeout-ms", "DRAIN_TIMEOUT_MS", c.process.drain_timeout,
               "On SIGTERM/SIGINT, longest time to finish in-flight work before exiting", 100);

  s.serve_ingest = app.add_subcommand("serve-ingest", "Webhook HTTP API: validate events, publish to JetStream");
  add_http(*s.serve_ingest, c.ingest.http, 3001);
  add_nats(*s.serve_ingest, c.ingest.nats);
  add_ingest(*s.serve_ingest, c.ingest);

  s.run_worker = app.add_subcommand("run-worker", "JetStream pull consumer writing events to PostgreSQL");
  add_http(*s.run_worker, c.worker.http, 3004);
  add_nats(*s.run_worker, c.worker.nats);
  add_db(*s.run_worker, c.worker.db, c.worker_db_parts, 75, 10);
  add_worker(*s.run_worker, c.worker);

  s.serve_analytics = app.add_subcommand("serve-analytics", "Read-only analytics HTTP API over stored events");
  add_http(*s.serve_analytics, c.analytics.http, 3002);
  add_db(*s.serve_analytics, c.analytics.db, c.analytics_db_parts, 50, 10);
  add_analytics(*s.serve_analytics, c.analytics);
  // (in `all`, the ingest's --retry-after applies to both)
  add(*s.serve_analytics, "--retry-after", "ANALYTICS_RETRY_AFTER_S", c.analytics.retry_after_seconds,
      "Seconds sent in Retry-After with 503")
      ->check(CLI::Range(1, 3600));

  // `all` fills its own copies; finalize_config shares the common parts between the three roles.
  s.all = app.add_subcommand("all", "Ingest, worker and analytics in one process (local / demo mode)");
  add_http(*s.all, c.all_ingest.http, 3001, "--ingest-port", "INGEST_PORT");
  add_http(*s.all, c.all_worker.http, 3004, "--worker-port", "WORKER_PORT", false);
  add_http(*s.all, c.all_analytics.http, 3002, "--analytics-port", "ANALYTICS_PORT", false);
  add_nats(*s.all, c.all_ingest.nats);
  add_db(*s.all, c.all_worker.db, c.all_db_parts, 75, 10);
  add_ingest(*s.all, c.all_ingest);
  add_worker(*s.all, c.all_worker);
  add_analytics(*s.all, c.all_analytics);

  s.migrate = app.add_subcommand(
      "migrate",
      "Apply sql/ migrations, build the analytics rollups of events stored before them (progress shown; safe "
      "to interrupt and run again), and exit");
  add_db(*s.migrate, c.migrate.db, c.migrate_db_parts, 1, 0, false);
  add_progress(*s.migrate, c.migrate.progress);

  s.rollup = app.add_subcommand("rollup", "Repair or check the analytics rollups (rollup rebuild | rollup verify)");
  s.rollup->require_subcommand(1);
  s.rollup->fallthrough();
  add_db(*s.rollup, c.rollup.db, c.rollup_db_parts, 1, 0, false);
  add(*s.rollup, "--from", "ROLLUP_FROM", c.rollup.from,
      "Start of the range, RFC 3339 (widened to its UTC day); default: the oldest stored event");
  add(*s.rollup, "--to", "ROLLUP_TO", c.rollup.to,
      "End of the range, RFC 3339, exclusive (widened to a UTC day); default: after the newest stored event");
  add_progress(*s.rollup, c.rollup.progress);
  s.rollup_rebuild = s.rollup->add_subcommand(
      "rebuild", "Recompute the rollups of the range from stored events (e.g. after editing rows by hand), "
                 "one day per transaction, while workers keep writing");
  s.rollup_verify = s.rollup->add_subcommand(
      "verify", "Recompute the rollups of the range from stored events and report every difference (exit 1 on one)");
  add(*s.rollup_verify, "--max-differences", "ROLLUP_MAX_DIFFERENCES", c.rollup.max_differences,
      "Differences printed (all are counted)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));

  s.publish = app.add_subcommand("publish", "Load generator: realistic facebook/tiktok events posted to ingest");
  auto& p = c.publish;
  add(*s.publish, "--url", "PUBLISH_URL", p.url, "Ingest webhook URL");
  add(*s.publish, "--count", "PUBLISH_COUNT", p.count, "Events to send")->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  add(*s.publish, "--batch", "PUBLISH_BATCH", p.batch, "Events per request (1 = single-event bodies)")
      ->check(CLI::Range(1, 100'000));
  add(*s.publish, "--connections", "PUBLISH_CONNECTIONS", p.connections, "Keep-alive connections")
      ->check(CLI::Range(1, 10'000));
  add(*s.publish, "--rate", "PUBLISH_RATE", p.rate, "Target events per second (0 = as fast as possible)")
      ->check(CLI::Range(0.0, 1e9));
  add(*s.publish, "--duplicate-ratio", "PUBLISH_DUPLICATE_RATIO", p.duplicate_ratio,
      "Share of events that resend an earlier eventId")
      ->check(CLI::Range(0.0, 1.0));
  add(*s.publish, "--invalid-ratio", "PUBLISH_INVALID_RATIO", p.invalid_ratio, "Share of deliberately invalid events")
      ->check(CLI::Range(0.0, 1.0));
  add(*s.publish, "--seed", "PUBLISH_SEED", p.seed, "Random seed: the same seed sends the same events");
  add(*s.publish, "--max-retries", "PUBLISH_MAX_RETRIES", p.max_retries,
      "Retries of one request on 429/503/network errors")
      ->check(CLI::Range(0, 1000));
  add(*s.publish, "--api-key", "PUBLISH_API_KEY", p.api_key, "Sent as Authorization: Bearer <key>");
  s.publish->add_flag("--gzip", p.gzip, "Send bodies with Content-Encoding: gzip")->envname("PUBLISH_GZIP");
  add(*s.publish, "--progress", "PUBLISH_PROGRESS", p.progress, "Progress display: auto, tty, plain, none")
      ->check(CLI::IsMember({"auto", "tty", "plain", "none"}));
  add(*s.publish, "--base-time", "PUBLISH_BASE_TIME", p.base_time,
      "RFC 3339 time the event timestamps are spread around (empty = now); with --seed, byte-identical runs");

  s.dlq = app.add_subcommand("dlq", "Inspect and replay dead-lettered messages");
  s.dlq->require_subcommand(1);
  s.dlq->fallthrough();
  add_nats(*s.dlq, c.dlq.nats);
  add(*s.dlq, "--reason", "DLQ_REASON", c.dlq.reason, "Only dead letters with this reason");
  add(*s.dlq, "--since", "DLQ_SINCE", c.dlq.since, "Only dead letters at or after this RFC 3339 time");
  add(*s.dlq, "--until", "DLQ_UNTIL", c.dlq.until, "Only dead letters before this RFC 3339 time");
  add(*s.dlq, "--limit", "DLQ_LIMIT", c.dlq.limit, "Most dead letters to list or replay")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  s.dlq_list = s.dlq->add_subcommand("list", "Show dead letters: reason, deliveries, time, payload excerpt");
  s.dlq_replay = s.dlq->add_subcommand("replay", "Republish dead letters to the event stream and remove them");
  s.dlq_replay->add_flag("--dry-run", c.dlq.dry_run, "Show what would be replayed, change nothing")
      ->envname("DLQ_DRY_RUN");
  return s;
}

void finalize_config(CliConfig& c, const Subcommands& s) {
  if (s.run_worker->parsed()) {
    resolve_database_url(*s.run_worker, c.worker.db, c.worker_db_parts);
    check_pool(c.worker.db, "run-worker");
    check_nats_names(c.worker.nats);
  }
  if (s.serve_analytics->parsed()) {
    resolve_database_url(*s.serve_analytics, c.analytics.db, c.analytics_db_parts);
    check_pool(c.analytics.db, "serve-analytics");
  }
  if (s.serve_ingest->parsed()) check_nats_names(c.ingest.nats);
  if (s.migrate->parsed()) resolve_database_url(*s.migrate, c.migrate.db, c.migrate_db_parts);
  if (s.rollup->parsed()) resolve_database_url(*s.rollup, c.rollup.db, c.rollup_db_parts);
  if (s.dlq->parsed()) check_nats_names(c.dlq.nats);
  if (s.all->parsed()) {
    c.ingest = c.all_ingest;
    c.worker = c.all_worker;
    c.analytics = c.all_analytics;
    resolve_database_url(*s.all, c.worker.db, c.all_db_parts);
    check_nats_names(c.ingest.nats);
    c.worker.nats = c.ingest.nats;
    // The HTTP settings are declared once for `all`: every server takes them whole, with its own port.
    for (auto* http : {&c.worker.http, &c.analytics.http}) {
      const uint16_t port = http->port;
      *http = c.ingest.http;
      http->port = port;
    }
    c.analytics.retry_after_seconds = c.ingest.retry_after_seconds;
    // One process, one database: analytics gets its own (smaller) pool on the same URL.
    c.analytics.db = c.worker.db;
    c.analytics.db.pool_max = std::max(2, c.worker.db.pool_max / 3);
    c.analytics.db.pool_min = std::min(c.analytics.db.pool_max, c.worker.db.pool_min);
    check_pool(c.worker.db, "all");
    const uint16_t ports[] = {c.ingest.http.port, c.worker.http.port, c.analytics.http.port};
    if (ports[0] == ports[1] || ports[0] == ports[2] || ports[1] == ports[2])
      throw ConfigError("all: --ingest-port, --worker-port and --analytics-port must differ");
  }
  if (s.publish->parsed() && c.publish.url.rfind("http://", 0) != 0)
    throw ConfigError("--url: only http:// URLs are supported, got '" + c.publish.url + "'");
}

std::vector<std::pair<std::string, std::string>> effective_options(const CLI::App& command) {
  std::vector<std::pair<std::string, std::string>> out;
  const CLI::App* app = &command;
  std::vector<const CLI::App*> chain;
  for (; app != nullptr; app = app->get_parent()) chain.insert(chain.begin(), app);
  for (const auto* a : chain) {
    for (const auto* opt : a->get_options()) {
      if (opt->get_lnames().empty()) continue;
      const auto& name = opt->get_lnames().front();
      if (name == "help" || name == "version") continue;
      std::string value = opt->count() > 0 ? opt->as<std::string>() : opt->get_default_str();
      if (name.find("password") != std::string::npos || name.find("secret") != std::string::npos ||
          name.find("api-key") != std::string::npos) {
        if (!value.empty()) value = "***";
      }
      out.emplace_back(name, redact_secrets(value));
    }
  }
  return out;
}

std::string redact_secrets(std::string_view text) {
  static const std::regex url_password{R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*):[^@\s]*@)"};
  static const std::regex kv_password{R"((password\s*=\s*)('[^']*'|\S+))", std::regex::icase};
  std::string s = std::regex_replace(std::string(text), url_password, "$1:***@");
  return std::regex_replace(s, kv_password, "$1***");
}

}  // namespace eventhub::common
