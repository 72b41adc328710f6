#include <eventhub/worker/plan.hpp>

#include <eventhub/dlq/record.hpp>
#include <eventhub/worker/batch.hpp>

#include <algorithm>

namespace eventhub::worker {

WriterPlan plan_writers(int batch_size, int concurrency, int db_pool_max) {
  WriterPlan plan;
  plan.fetch = std::max(1, std::min(batch_size, concurrency));
  int by_concurrency = std::max(1, concurrency / plan.fetch);
  // Two writers overlap one's fetch and validation with the other's COPY; when --concurrency
  // allows only one fetch of --batch-size, split it in two rather than run a single writer.
  if (by_concurrency == 1 && concurrency >= 2 * kMinSplitFetch) {
    by_concurrency = 2;
    plan.fetch = concurrency / 2;
  }
  plan.writers = std::max(1, std::min(by_concurrency, std::max(1, db_pool_max - 1)));
  return plan;
}

Admission admit(uint64_t delivered, int max_deliver, std::string_view payload) {
  Admission a;
  if (max_deliver > 0 && delivered > static_cast<uint64_t>(max_deliver)) {
    a.reason = dlq::kReasonMaxDeliveries;
    a.error = "delivered " + std::to_string(delivered) + " times (limit " + std::to_string(max_deliver) + ")";
    return a;
  }
  auto parsed = events::parse_strict(payload);
  if (!parsed.value) {
    a.reason = dlq::kReasonInvalidJson;
    a.error = parsed.error;
    return a;
  }
  auto errors = events::validate_event(*parsed.value);
  if (errors.empty() && !parsed.value->is_object()) errors.push_back("$: expected an event object");
  if (!errors.empty()) {
    a.reason = dlq::kReasonInvalidEvent;
    for (const auto& e : errors) a.error += (a.error.empty() ? "" : "; ") + e;
    return a;
  }
  try {
    a.row = events::to_row(parsed.value->as_object());
  } catch (const std::exception& e) {
    a.reason = dlq::kReasonInvalidEvent;
    a.error = e.what();
  }
  return a;
}

WritePlan::WritePlan(const std::vector<std::string_view>& ids) : followers_(ids.size()) {
  BatchOrder order = order_and_dedupe(ids);
  for (std::size_t p = 0; p < ids.size(); ++p)
    if (order.duplicate_of[p] != p) followers_[order.duplicate_of[p]].push_back(p);
  if (!order.keep.empty()) ranges_.push_back(std::move(order.keep));
}

WritePlan::Settlement WritePlan::committed() {
  Settlement s;
  for (std::size_t p : ranges_.front()) {
    s.ack.push_back(p);
    s.ack.insert(s.ack.end(), followers_[p].begin(), followers_[p].end());
  }
  ranges_.pop_front();
  return s;
}

WritePlan::Settlement WritePlan::rejected() {
  Settlement s;
  std::vector<std::size_t> range = std::move(ranges_.front());
  ranges_.pop_front();
  if (range.size() == 1) {
    const std::size_t p = range.front();
    s.dead_letter.push_back(p);
    // Other versions of the same eventId in this batch: let them come back and be tried alone.
    s.nak = followers_[p];
    return s;
  }
  const auto mid = static_cast<std::ptrdiff_t>(split_point(0, range.size()));
  ranges_.emplace_front(range.begin() + mid, range.end());
  ranges_.emplace_front(range.begin(), range.begin() + mid);
  return s;
}

}  // namespace eventhub::worker
