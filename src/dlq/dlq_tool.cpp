// `eventhub dlq list` / `eventhub dlq replay` (library eventhub_dlq_tool, linked only into the
// binary). Runs on the main thread over a one-shot NATS connection: unreachable NATS is exit 1 at
// once, unlike the roles, which keep reconnecting. The record format is in record.cpp.
#include <eventhub/dlq/dlq_tool.hpp>

#include <eventhub/common/time.hpp>
#include <eventhub/dlq/record.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/jetstream.hpp>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace eventhub::dlq {

namespace {

struct Filter {
  std::string reason;
  std::optional<int64_t> since_ns;
  std::optional<int64_t> until_ns;
  int64_t limit = 100;
};

// An RFC 3339 time (a space allowed between date and time) as Unix nanoseconds, the unit of NATS
// message times; instants after 2262 (beyond 64-bit nanoseconds) are clamped.
std::optional<int64_t> unix_ns_of(std::string_view text) {
  const auto t = common::parse_rfc3339(text, {.allow_space_separator = true});
  if (!t) return std::nullopt;
  const int64_t us = common::to_unix_us(*t);
  constexpr int64_t kMaxUs = INT64_MAX / 1000;
  return std::clamp(us, -kMaxUs, kMaxUs) * 1000;
}

// Parses the filter options; prints the reason and returns nullopt when one is malformed.
std::optional<Filter> make_filter(const common::DlqConfig& c, const char* command) {
  Filter f;
  f.reason = c.reason;
  f.limit = c.limit;
  if (!c.since.empty()) {
    f.since_ns = unix_ns_of(c.since);
    if (!f.since_ns) {
      std::fprintf(stderr, "eventhub dlq %s: --since: not an RFC 3339 date-time: '%s'\n", command, c.since.c_str());
      return std::nullopt;
    }
  }
  if (!c.until.empty()) {
    f.until_ns = unix_ns_of(c.until);
    if (!f.until_ns) {
      std::fprintf(stderr, "eventhub dlq %s: --until: not an RFC 3339 date-time: '%s'\n", command, c.until.c_str());
      return std::nullopt;
    }
  }
  if (f.limit <= 0) {
    std::fprintf(stderr, "eventhub dlq %s: --limit must be positive\n", command);
    return std::nullopt;
  }
  return f;
}

// The one-shot connection, or nullptr after printing why there is none.
std::unique_ptr<nats::Connection> connect(const common::NatsConfig& config, const char* command) {
  try {
    return nats::Connection::connect_once(config, "eventhub-dlq");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eventhub dlq %s: %s\n", command, e.what());
    return nullptr;
  }
}

int64_t letter_time_ns(const nats::Message& letter) {
  if (auto at = letter.header(kHeaderDeadLetteredAt))
    if (auto ns = unix_ns_of(*at)) return *ns;
  return letter.time_ns();  // stream time of the dead letter
}

bool matches(const nats::Message& letter, const Filter& f) {
  if (!f.reason.empty() && letter.header(kHeaderReason).value_or("") != f.reason) return false;
  const int64_t t = letter_time_ns(letter);
  if (f.since_ns && t < *f.since_ns) return false;
  if (f.until_ns && t >= *f.until_ns) return false;
  return true;
}

// Visits the dead letters in sequence order (read-only: direct stream reads, nothing is acked or
// consumed) until `visit` returns false or `limit` matched. Returns 0, or 1 after printing an error.
int for_each_letter(nats::Connection& connection, const common::NatsConfig& config, const Filter& filter,
                    const char* command, const std::function<bool(uint64_t seq, const nats::Message& letter)>& visit) {
  const auto state = nats::stream_state(connection, config.dlq_stream);
  if (!state.ok()) {
    if (state.status.stream_missing() || state.status.not_found()) {
      std::fprintf(stderr, "eventhub dlq %s: no dead-letter stream '%s' yet (nothing dead-lettered)\n", command,
                   config.dlq_stream.c_str());
      return 0;
    }
    std::fprintf(stderr, "eventhub dlq %s: %s\n", command,
                 state.status.describe("stream info " + config.dlq_stream).c_str());
    return 1;
  }
  if (state.value.messages == 0) return 0;
  int64_t matched = 0;
  for (uint64_t seq = state.value.first_seq; seq <= state.value.last_seq && matched < filter.limit; ++seq) {
    const auto letter = nats::get_message(connection, config.dlq_stream, seq);
    if (!letter.ok()) {
      if (letter.status.message_missing() || letter.status.not_found()) continue;  // deleted (replayed) or purged
      std::fprintf(stderr, "eventhub dlq %s: %s\n", command,
                   letter.status.describe("read " + config.dlq_stream + " seq " + std::to_string(seq)).c_str());
      return 1;
    }
    if (matches(letter.value, filter)) {
      ++matched;
      if (!visit(seq, letter.value)) break;
    }
  }
  return 0;
}

}  // namespace

int run_list(const common::DlqConfig& config) {
  const auto filter = make_filter(config, "list");
  if (!filter) return 2;
  const auto connection = connect(config.nats, "list");
  if (!connection) return 1;
  int64_t shown = 0;
  const auto print_one = [&](uint64_t seq, const nats::Message& letter) {
    std::printf("%s\n", format_list_line(list_entry(seq, letter)).c_str());
    ++shown;
    return true;
  };
  const int rc = for_each_letter(*connection, config.nats, *filter, "list", print_one);
  std::fflush(stdout);
  if (rc == 0) std::fprintf(stderr, "%lld dead letter(s) listed\n", static_cast<long long>(shown));
  return rc;
}

int run_replay(const common::DlqConfig& config) {
  const auto filter = make_filter(config, "replay");
  if (!filter) return 2;
  const auto connection = connect(config.nats, "replay");
  if (!connection) return 1;
  int64_t replayed = 0;
  int64_t failed = 0;
  const auto replay_one = [&](uint64_t seq, const nats::Message& letter) {
    const auto seq_text = static_cast<unsigned long long>(seq);
    nats::Message replay;
    try {
      replay = make_replay(letter, config.nats.dlq_stream, seq);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu: %s\n", seq_text, e.what());
      ++failed;
      return true;
    }
    if (!replay) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu has no %s header; skipped\n", seq_text,
                   kHeaderOriginalSubject);
      ++failed;
      return true;
    }
    const std::string subject(replay.subject());
    if (config.dry_run) {
      std::printf("would replay %llu -> %s  %s\n", seq_text, subject.c_str(),
                  format_list_line(list_entry(seq, letter)).c_str());
      ++replayed;
      return true;
    }
    const auto published = nats::publish_and_wait(*connection, replay, config.nats.stream);
    if (!published.ok()) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu: %s (kept in the DLQ)\n", seq_text,
                   published.status.describe("publish to " + subject + " failed").c_str());
      ++failed;
      return !published.status.connection_closed() && !published.status.no_responders();  // stop when NATS is gone
    }
    // Only after the PubAck: remove the dead letter.
    const nats::Status deleted = nats::delete_message(*connection, config.nats.dlq_stream, seq);
    if (!deleted.ok() && !deleted.message_missing()) {
      std::fprintf(stderr, "eventhub dlq replay: %s\n",
                   deleted.describe("seq " + std::to_string(seq) + " replayed but not deleted from " +
                                    config.nats.dlq_stream)
                       .c_str());
      ++failed;
      return true;
    }
    std::printf("replayed %llu -> %s (stream seq %llu%s)\n", seq_text, subject.c_str(),
                static_cast<unsigned long long>(published.value.sequence),
                published.value.duplicate ? ", duplicate of an earlier replay" : "");
    ++replayed;
    return true;
  };
  const int rc = for_each_letter(*connection, config.nats, *filter, "replay", replay_one);
  std::fflush(stdout);
  if (rc != 0) return rc;
  std::fprintf(stderr, "%lld dead letter(s) %s, %lld failed\n", static_cast<long long>(replayed),
               config.dry_run ? "would be replayed (dry run)" : "replayed", static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace eventhub::dlq
