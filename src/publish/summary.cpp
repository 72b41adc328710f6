#include <eventhub/publish/summary.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace eventhub::publish {
namespace {

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string summary_json(const Summary& s) {
  const double eps = s.seconds > 0 ? static_cast<double>(s.accepted) / s.seconds : 0.0;
  std::string out = "{";
  const auto add = [&out](const char* key, const std::string& value) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += key;
    out += "\":";
    out += value;
  };
  add("sent", std::to_string(s.sent));
  add("accepted", std::to_string(s.accepted));
  add("duplicates", std::to_string(s.duplicates));
  add("rejected", std::to_string(s.rejected));
  add("failed", std::to_string(s.failed));
  add("seconds", fixed(s.seconds, 3));
  add("eventsPerSecond", fixed(eps, 1));
  add("uniqueAccepted", std::to_string(s.unique_accepted));
  add("requests", std::to_string(s.requests));
  add("retries", std::to_string(s.retries));
  add("p50Ms", fixed(s.p50_ms, 3));
  add("p99Ms", fixed(s.p99_ms, 3));
  add("maxMs", fixed(s.max_ms, 3));
  add("startUnixMs", std::to_string(s.start_unix_ms));
  add("endUnixMs", std::to_string(s.end_unix_ms));
  add("seed", std::to_string(s.seed));
  add("interrupted", s.interrupted ? "true" : "false");
  add("aborted", s.aborted ? "true" : "false");
  out += '}';
  return out;
}

std::optional<IngestAnswer> parse_ingest_answer(std::string_view body, int64_t events) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const auto& o = value.as_object();
  IngestAnswer answer;
  if (const auto* d = o.if_contains("duplicates")) {
    const auto n = d->to_number<int64_t>(ec);
    if (ec || n < 0 || n > events) return std::nullopt;
    answer.duplicates = n;
  }
  const auto* rejected = o.if_contains("rejected");
  if (rejected == nullptr) return answer;
  if (!rejected->is_array()) return std::nullopt;
  std::vector<bool> seen(static_cast<std::size_t>(events), false);
  for (const auto& item : rejected->as_array()) {
    const auto* obj = item.if_object();
    const auto* index = obj ? obj->if_contains("index") : nullptr;
    if (index == nullptr) return std::nullopt;
    const auto i = index->to_number<int64_t>(ec);
    if (ec || i < 0 || i >= events) return std::nullopt;
    if (seen[static_cast<std::size_t>(i)]) continue;
    seen[static_cast<std::size_t>(i)] = true;
    answer.rejected_indexes.push_back(i);
  }
  return answer;
}

namespace {
constexpr double kMinMs = 0.01;
constexpr double kGrowth = 1.01;
constexpr std::size_t kBuckets = 1800;  // 0.01 ms * 1.01^1800 ~ 6e5 ms
}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets + 1, 0) {}

void LatencyHistogram::record(double ms) {
  if (!(ms >= 0)) ms = 0;
  std::size_t i = 0;
  if (ms > kMinMs) i = std::min(kBuckets, static_cast<std::size_t>(std::log(ms / kMinMs) / std::log(kGrowth)) + 1);
  ++buckets_[i];
  ++count_;
  max_ = std::max(max_, ms);
}

double LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<int64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(max_, kMinMs * std::pow(kGrowth, static_cast<double>(i)));
  }
  return max_;
}

}  // namespace eventhub::publish
