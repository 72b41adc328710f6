// Pure parts of the worker's batch persistence: COPY text escaping, batch order/de-duplication,
// failure classification.
#include <eventhub/worker/batch.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace eventhub;
using namespace eventhub::worker;

namespace {
std::string field(std::string_view v) {
  std::string out;
  append_copy_field(out, v);
  return out;
}
}  // namespace

TEST_CASE("COPY text escaping: backslash, tab, newline, carriage return", "[worker][copy]") {
  CHECK(field("plain") == "plain");
  CHECK(field("") == "");
  CHECK(field("a\\b") == "a\\\\b");
  CHECK(field("a\tb") == "a\\tb");
  CHECK(field("a\nb") == "a\\nb");
  CHECK(field("a\rb") == "a\\rb");
  CHECK(field("\\N") == "\\\\N");  // a literal \N string is not NULL
  CHECK(field("\\.") == "\\\\.");  // nor an end-of-data marker
  CHECK(field("\t\n\r\\") == "\\t\\n\\r\\\\");
  // JSON text keeps its own escapes; only the backslashes are doubled for COPY.
  CHECK(field(R"({"a":"x\"y\\n"})") == R"({"a":"x\\"y\\\\n"})");
  // UTF-8 passes through byte for byte.
  CHECK(field("M\xC3\xBCnchen \xF0\x9F\x98\x80") == "M\xC3\xBCnchen \xF0\x9F\x98\x80");
}

TEST_CASE("COPY NULL and full row layout", "[worker][copy]") {
  std::string out;
  append_copy_field(out, std::optional<std::string>{});
  CHECK(out == "\\N");

  events::EventRow row;
  row.event_id = "e\t1";
  row.source = "facebook";
  row.funnel_stage = "bottom";
  row.event_type = "ad.click";
  row.timestamp = "2026-11-25T08:00:00Z";
  row.user_id = "u1";
  row.country = std::nullopt;
  row.campaign_id = "c1";
  row.purchase_amount = "12.50";
  row.data_json = R"({"user":{"name":"a\nb"}})";
  row.extra_json = std::nullopt;
  std::string line;
  append_copy_row(line, row);
  CHECK(line ==
        "e\\t1\tfacebook\tbottom\tad.click\t2026-11-25T08:00:00Z\tu1\t\\N\tc1\t12.50\t"
        "{\"user\":{\"name\":\"a\\\\nb\"}}\t\\N\n");
  // 11 fields: kCopyColumns names 11 columns.
  std::size_t tabs = 0;
  for (char c : line) tabs += c == '\t';
  CHECK(tabs == 10);
  std::size_t commas = 0;
  for (const char* p = kCopyColumns; *p; ++p) commas += *p == ',';
  CHECK(commas == 10);
}

TEST_CASE("batch order: sorted by eventId, first occurrence wins", "[worker][batch]") {
  const std::vector<std::string_view> ids = {"c", "a", "b", "a", "c", "d", "a"};
  const BatchOrder order = order_and_dedupe(ids);
  REQUIRE(order.keep.size() == 4);
  CHECK(order.keep == std::vector<std::size_t>{1, 2, 0, 5});  // a(first at 1), b, c(first at 0), d
  CHECK(order.duplicate_of == std::vector<std::size_t>{0, 1, 2, 1, 0, 5, 1});
}

TEST_CASE("batch order: empty and unique batches", "[worker][batch]") {
  CHECK(order_and_dedupe({}).keep.empty());
  const std::vector<std::string_view> ids = {"z", "y", "x"};
  const BatchOrder order = order_and_dedupe(ids);
  CHECK(order.keep == std::vector<std::size_t>{2, 1, 0});
  CHECK(order.duplicate_of == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("failure classification: data errors split, everything else is held and retried", "[worker][retry]") {
  CHECK(classify_sqlstate("") == FailureKind::retry);       // connection lost
  CHECK(classify_sqlstate("08006") == FailureKind::retry);  // connection failure
  CHECK(classify_sqlstate("57P01") == FailureKind::retry);  // admin shutdown
  CHECK(classify_sqlstate("40001") == FailureKind::retry);
  CHECK(classify_sqlstate("40P01") == FailureKind::retry);
  CHECK(classify_sqlstate("53300") == FailureKind::retry);
  CHECK(classify_sqlstate("42P01") == FailureKind::retry);  // table missing: not the data's fault
  CHECK(classify_sqlstate("42703") == FailureKind::retry);  // schema mismatch: never dead-letter good events
  CHECK(classify_sqlstate("22P02") == FailureKind::data);   // invalid text representation
  CHECK(classify_sqlstate("22003") == FailureKind::data);   // numeric out of range
  CHECK(classify_sqlstate("22007") == FailureKind::data);   // invalid datetime
  CHECK(classify_sqlstate("22008") == FailureKind::data);   // datetime out of range
  CHECK(classify_sqlstate("23514") == FailureKind::data);   // check violation
  CHECK(classify_sqlstate("23502") == FailureKind::data);   // not null
  CHECK(classify_sqlstate("54000") == FailureKind::data);   // index row too large
}

TEST_CASE("split point halves a range into non-empty parts", "[worker][batch]") {
  CHECK(split_point(0, 2) == 1);
  CHECK(split_point(0, 5) == 2);
  CHECK(split_point(3, 4) == 3);
  for (std::size_t n = 2; n < 50; ++n) {
    const auto mid = split_point(0, n);
    CHECK(mid > 0);
    CHECK(mid < n);
  }
}
