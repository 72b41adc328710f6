#include <eventhub/dlq/dlq_tool.hpp>

#include <eventhub/dlq/record.hpp>

#include <nats/nats.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

namespace eventhub::dlq {

namespace {

std::string status_text(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string text = natsStatus_GetText(s);
  if (code != 0) text += " (jsErrCode " + std::to_string(static_cast<int>(code)) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last && *last && text.find(last) == std::string::npos) text += ": " + std::string(last);
  return text;
}

// A plain, one-shot connection: the tool must fail fast (exit 1) when NATS is unreachable, unlike
// the roles, which keep reconnecting in the background.
class Session {
 public:
  explicit Session(const common::NatsConfig& nats) {
    if (nats_Open(-1) != NATS_OK) {
      error_ = "cannot initialise the NATS library";
      return;
    }
    natsOptions* opts = nullptr;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, nats.url.c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts, std::max<int64_t>(500, nats.connect_timeout.count()));
    if (s == NATS_OK) s = natsOptions_SetName(opts, "eventhub-dlq");
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, 0);
    if (s == NATS_OK) s = natsConnection_Connect(&conn_, opts);
    natsOptions_Destroy(opts);
    if (s != NATS_OK) {
      error_ = "NATS unreachable at " + nats.url + ": " + status_text(s);
      return;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    s = natsConnection_JetStream(&js_, conn_, &jo);
    if (s != NATS_OK) error_ = "JetStream context: " + status_text(s);
  }
  ~Session() {
    if (js_) jsCtx_Destroy(js_);
    if (conn_) {
      natsConnection_FlushTimeout(conn_, 2000);
      natsConnection_Destroy(conn_);
    }
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& error() const { return error_; }
  jsCtx* js() const { return js_; }

 private:
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string error_;
};

struct Filter {
  std::string reason;
  std::optional<int64_t> since_ns;
  std::optional<int64_t> until_ns;
  int64_t limit = 100;
};

// Parses the filter options; prints the reason and returns nullopt when one is malformed.
std::optional<Filter> make_filter(const common::DlqConfig& c, const char* command) {
  Filter f;
  f.reason = c.reason;
  f.limit = c.limit;
  if (!c.since.empty()) {
    f.since_ns = parse_rfc3339(c.since);
    if (!f.since_ns) {
      std::fprintf(stderr, "eventhub dlq %s: --since: not an RFC 3339 date-time: '%s'\n", command, c.since.c_str());
      return std::nullopt;
    }
  }
  if (!c.until.empty()) {
    f.until_ns = parse_rfc3339(c.until);
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

int64_t letter_time_ns(natsMsg* msg) {
  if (auto at = header(msg, kHeaderDeadLetteredAt))
    if (auto ns = parse_rfc3339(*at)) return *ns;
  return natsMsg_GetTime(msg);  // stream time of the dead letter
}

bool matches(natsMsg* msg, const Filter& f) {
  if (!f.reason.empty() && header(msg, kHeaderReason).value_or("") != f.reason) return false;
  const int64_t t = letter_time_ns(msg);
  if (f.since_ns && t < *f.since_ns) return false;
  if (f.until_ns && t >= *f.until_ns) return false;
  return true;
}

// Visits the dead letters in sequence order (read-only: direct stream reads, nothing is acked or
// consumed) until `visit` returns false or `limit` matched. Returns 0, or 1 after printing an error.
int for_each_letter(Session& session, const common::NatsConfig& nats, const Filter& filter, const char* command,
                    const std::function<bool(uint64_t seq, natsMsg* msg)>& visit) {
  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* si = nullptr;
  natsStatus s = js_GetStreamInfo(&si, session.js(), nats.dlq_stream.c_str(), nullptr, &code);
  if (s != NATS_OK) {
    if (code == JSStreamNotFoundErr || s == NATS_NOT_FOUND) {
      std::fprintf(stderr, "eventhub dlq %s: no dead-letter stream '%s' yet (nothing dead-lettered)\n", command,
                   nats.dlq_stream.c_str());
      return 0;
    }
    std::fprintf(stderr, "eventhub dlq %s: stream info %s: %s\n", command, nats.dlq_stream.c_str(),
                 status_text(s, code).c_str());
    return 1;
  }
  const uint64_t first = si->State.FirstSeq;
  const uint64_t last = si->State.LastSeq;
  const uint64_t count = si->State.Msgs;
  jsStreamInfo_Destroy(si);
  if (count == 0) return 0;
  int64_t matched = 0;
  for (uint64_t seq = first; seq <= last && matched < filter.limit; ++seq) {
    natsMsg* msg = nullptr;
    code = static_cast<jsErrCode>(0);
    s = js_GetMsg(&msg, session.js(), nats.dlq_stream.c_str(), seq, nullptr, &code);
    if (s != NATS_OK) {
      if (code == JSNoMessageFoundErr || s == NATS_NOT_FOUND) continue;  // deleted (replayed) or purged
      std::fprintf(stderr, "eventhub dlq %s: read %s seq %llu: %s\n", command, nats.dlq_stream.c_str(),
                   static_cast<unsigned long long>(seq), status_text(s, code).c_str());
      return 1;
    }
    bool keep_going = true;
    if (matches(msg, filter)) {
      ++matched;
      keep_going = visit(seq, msg);
    }
    natsMsg_Destroy(msg);
    if (!keep_going) break;
  }
  return 0;
}

ListEntry entry_of(uint64_t seq, natsMsg* msg) {
  ListEntry e;
  e.seq = seq;
  e.time = header(msg, kHeaderDeadLetteredAt).value_or("");
  e.reason = header(msg, kHeaderReason).value_or("");
  e.delivery_count = header(msg, kHeaderDeliveryCount).value_or("");
  e.original_subject = header(msg, kHeaderOriginalSubject).value_or("");
  e.payload = std::string_view(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  e.error = header(msg, kHeaderError).value_or("");
  return e;
}

}  // namespace

int run_list(const common::DlqConfig& config) {
  const auto filter = make_filter(config, "list");
  if (!filter) return 2;
  Session session(config.nats);
  if (!session.error().empty()) {
    std::fprintf(stderr, "eventhub dlq list: %s\n", session.error().c_str());
    return 1;
  }
  int64_t shown = 0;
  const int rc = for_each_letter(session, config.nats, *filter, "list", [&](uint64_t seq, natsMsg* msg) {
    std::printf("%s\n", format_list_line(entry_of(seq, msg)).c_str());
    ++shown;
    return true;
  });
  std::fflush(stdout);
  if (rc == 0) std::fprintf(stderr, "%lld dead letter(s) listed\n", static_cast<long long>(shown));
  return rc;
}

int run_replay(const common::DlqConfig& config) {
  const auto filter = make_filter(config, "replay");
  if (!filter) return 2;
  Session session(config.nats);
  if (!session.error().empty()) {
    std::fprintf(stderr, "eventhub dlq replay: %s\n", session.error().c_str());
    return 1;
  }
  int64_t replayed = 0;
  int64_t failed = 0;
  const int rc = for_each_letter(session, config.nats, *filter, "replay", [&](uint64_t seq, natsMsg* letter) {
    natsMsg* replay = nullptr;
    try {
      replay = make_replay(letter, config.nats.dlq_stream, seq);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu: %s\n", static_cast<unsigned long long>(seq), e.what());
      ++failed;
      return true;
    }
    if (replay == nullptr) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu has no %s header; skipped\n",
                   static_cast<unsigned long long>(seq), kHeaderOriginalSubject);
      ++failed;
      return true;
    }
    const std::string subject = natsMsg_GetSubject(replay);
    if (config.dry_run) {
      std::printf("would replay %llu -> %s  %s\n", static_cast<unsigned long long>(seq), subject.c_str(),
                  format_list_line(entry_of(seq, letter)).c_str());
      natsMsg_Destroy(replay);
      ++replayed;
      return true;
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    po.ExpectStream = config.nats.stream.c_str();
    jsPubAck* ack = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const natsStatus s = js_PublishMsg(&ack, session.js(), replay, &po, &code);
    natsMsg_Destroy(replay);
    if (s != NATS_OK) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu: publish to %s failed: %s (kept in the DLQ)\n",
                   static_cast<unsigned long long>(seq), subject.c_str(), status_text(s, code).c_str());
      ++failed;
      return s != NATS_CONNECTION_CLOSED && s != NATS_NO_RESPONDERS;  // stop when NATS is gone
    }
    const uint64_t stream_seq = ack->Sequence;
    const bool duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
    // Only after the PubAck: remove the dead letter.
    code = static_cast<jsErrCode>(0);
    const natsStatus d = js_DeleteMsg(session.js(), config.nats.dlq_stream.c_str(), seq, nullptr, &code);
    if (d != NATS_OK && code != JSNoMessageFoundErr) {
      std::fprintf(stderr, "eventhub dlq replay: seq %llu replayed but not deleted from %s: %s\n",
                   static_cast<unsigned long long>(seq), config.nats.dlq_stream.c_str(), status_text(d, code).c_str());
      ++failed;
      return true;
    }
    std::printf("replayed %llu -> %s (stream seq %llu%s)\n", static_cast<unsigned long long>(seq), subject.c_str(),
                static_cast<unsigned long long>(stream_seq), duplicate ? ", duplicate of an earlier replay" : "");
    ++replayed;
    return true;
  });
  std::fflush(stdout);
  if (rc != 0) return rc;
  std::fprintf(stderr, "%lld dead letter(s) %s, %lld failed\n", static_cast<long long>(replayed),
               config.dry_run ? "would be replayed (dry run)" : "replayed", static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace eventhub::dlq
