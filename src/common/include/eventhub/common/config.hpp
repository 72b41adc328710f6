#pragma once
// Every knob of every role, declared once in src/common/config.cpp (flag > env > default).
// These are plain structs: roles receive the one they need and never read the environment.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace eventhub::common {

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error
  std::string format = "text"; // text (key=value) | json
};

struct HttpServerConfig {
  std::string host = "0.0.0.0";
  uint16_t port = 0;
  std::size_t body_limit = 4 * 1024 * 1024;
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{10'000};  // whole request (headers + body)
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive wait for the next request
  std::size_t max_connections = 10'000;
  int io_threads = 1;
};

struct DatabaseConfig {
  std::string url = "postgresql://postgres@127.0.0.1:5432/eventhub";
  int pool_max = 10;
  int pool_min = 1;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds statement_timeout{0};  // 0 = none
  bool migrate_on_start = true;
};

struct NatsConfig {
  std::string url = "nats://127.0.0.1:4222";
  std::string stream = "EVENTS";
  std::string subject_prefix = "events";        // events.<source>.<stage>
  std::string dlq_stream = "EVENTS_DLQ";
  std::string dlq_subject_prefix = "dlq.events";
  std::string consumer = "eventhub-worker";
  std::chrono::milliseconds duplicate_window{600'000};
  int64_t stream_max_bytes = -1;                  // -1 = unlimited (bounded by the server's store)
  int64_t stream_max_msgs = -1;
  std::chrono::seconds stream_max_age{0};         // 0 = keep until acknowledged (work-queue)
  int replicas = 1;
  std::chrono::milliseconds connect_timeout{2'000};
};

struct IngestConfig {
  HttpServerConfig http;
  NatsConfig nats;
  std::size_t max_decompressed_size = 16 * 1024 * 1024;
  std::size_t max_batch_events = 10'000;
  int max_inflight_publishes = 50'000;            // beyond this: 429
  std::chrono::milliseconds publish_timeout{5'000};  // PubAck wait; on expiry 503
  int retry_after_seconds = 1;
  std::vector<std::string> api_keys;              // empty = no auth
  std::string hmac_secret;                        // empty = no signature check
  std::chrono::seconds hmac_tolerance{300};
};

// The worker's rollup compactor (docs/analytics.md, "Rollups").
struct CompactorConfig {
  bool enabled = true;
  std::chrono::milliseconds interval{250};  // pause between steps when nothing is pending
  int64_t max_events_per_step = 50'000;      // events folded in one transaction
};

struct WorkerConfig {
  HttpServerConfig http;
  NatsConfig nats;
  DatabaseConfig db;
  int batch_size = 5000;
  int concurrency = 300;
  int max_ack_pending = 20'000;
  std::chrono::milliseconds ack_wait{60'000};
  int max_deliver = 10;
  std::chrono::milliseconds fetch_timeout{1'000};
  std::chrono::milliseconds db_retry_delay{2'000};
  std::chrono::milliseconds stats_interval{5'000};  // consumer info poll for pending/ack-pending
  CompactorConfig compactor;
};

struct AnalyticsConfig {
  HttpServerConfig http;
  DatabaseConfig db;
  std::chrono::milliseconds statement_timeout{10'000};
  int query_threads = 8;
  std::chrono::hours default_window{24 * 7};        // when from/to are absent
  int retry_after_seconds = 1;                      // Retry-After of 503 answers
};

struct PublishConfig {
  std::string url = "http://127.0.0.1:3001/webhook/event";
  int64_t count = 10'000;
  int batch = 100;
  int connections = 8;
  double rate = 0;                                  // events per second, 0 = as fast as possible
  double duplicate_ratio = 0;
  double invalid_ratio = 0;
  uint64_t seed = 1;
  int max_retries = 10;
  std::string api_key;
  bool gzip = false;
  std::string progress = "auto";                    // auto|tty|plain|none
  std::string base_time;                            // RFC 3339 anchor of event timestamps; empty = now
};

struct DlqConfig {
  NatsConfig nats;
  std::string reason;                               // filter; empty = all
  std::string since;                                // RFC 3339; empty = all
  std::string until;
  int64_t limit = 100;
  bool dry_run = false;
};

// `eventhub migrate` and `eventhub rollup rebuild|verify`.
struct RollupToolConfig {
  DatabaseConfig db;
  std::string from;  // RFC 3339; empty = the oldest stored event
  std::string to;    // RFC 3339; empty = after the newest stored event
  int64_t max_differences = 20;  // verify: differences printed (all are counted)
  std::string progress = "auto";  // auto|tty|plain|none
};

struct ProcessConfig {
  LogConfig log;
  std::chrono::milliseconds drain_timeout{25'000};
};

}  // namespace eventhub::common
