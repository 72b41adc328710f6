#include <eventhub/worker/batch.hpp>

#include <eventhub/pg/connection.hpp>

#include <algorithm>
#include <numeric>

namespace eventhub::worker {

void append_copy_field(std::string& out, std::string_view value) {
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const char* escape = nullptr;
    switch (c) {
      case '\\': escape = "\\\\"; break;
      case '\t': escape = "\\t"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      default: continue;
    }
    out.append(value.data() + plain, i - plain);
    out.append(escape);
    plain = i + 1;
  }
  out.append(value.data() + plain, value.size() - plain);
}

void append_copy_field(std::string& out, const std::optional<std::string>& value) {
  if (value) {
    append_copy_field(out, std::string_view(*value));
  } else {
    out.append("\\N");
  }
}

void append_copy_row(std::string& out, const events::EventRow& row) {
  append_copy_field(out, std::string_view(row.event_id));
  out.push_back('\t');
  append_copy_field(out, std::string_view(row.source));
  out.push_back('\t');
  append_copy_field(out, std::string_view(row.funnel_stage));
  out.push_back('\t');
  append_copy_field(out, std::string_view(row.event_type));
  out.push_back('\t');
  append_copy_field(out, std::string_view(row.timestamp));
  out.push_back('\t');
  append_copy_field(out, row.user_id);
  out.push_back('\t');
  append_copy_field(out, row.country);
  out.push_back('\t');
  append_copy_field(out, row.campaign_id);
  out.push_back('\t');
  append_copy_field(out, row.purchase_amount);
  out.push_back('\t');
  append_copy_field(out, std::string_view(row.data_json));
  out.push_back('\t');
  append_copy_field(out, row.extra_json);
  out.push_back('\n');
}

BatchOrder order_and_dedupe(const std::vector<std::string_view>& ids) {
  std::vector<std::size_t> order(ids.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Stable: equal ids stay in batch order, so the first of them is the one kept.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  BatchOrder result;
  result.duplicate_of.resize(ids.size());
  result.keep.reserve(ids.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::size_t pos = order[i];
    if (!result.keep.empty() && ids[result.keep.back()] == ids[pos]) {
      result.duplicate_of[pos] = result.keep.back();
    } else {
      result.keep.push_back(pos);
      result.duplicate_of[pos] = pos;
    }
  }
  return result;
}

FailureKind classify_sqlstate(std::string_view sqlstate) {
  if (pg::sqlstate_is_retryable(sqlstate)) return FailureKind::retry;
  // Data exceptions (22), integrity violations (23): the rows, not the database. Anything else
  // (syntax, permissions, undefined column: our bug or a schema mismatch) is not the data's fault
  // either, so it is retried rather than pushing good events into the dead-letter stream; the
  // failed-messages metric and the log make it visible.
  const std::string_view cls = sqlstate.substr(0, 2);
  // 54: program limit exceeded (an index row or a value too large): also a property of one row.
  if (cls == "22" || cls == "23" || cls == "54") return FailureKind::data;
  return FailureKind::retry;
}

}  // namespace eventhub::worker
