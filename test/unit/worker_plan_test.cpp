// The worker's pure decisions: writers and fetch size from the options, admission of one message
// (poison checks), and the write plan of a batch (order, in-batch duplicates, bisecting on data
// errors, what is acked / dead-lettered / NAKed).
#include <eventhub/dlq/record.hpp>
#include <eventhub/worker/plan.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace eventhub;
using namespace eventhub::worker;

namespace {
const std::string kValidEvent =
    R"({"eventId":"e-1","timestamp":"2026-11-25T08:00:00Z","source":"facebook","funnelStage":"top",)"
    R"("eventType":"ad.view","data":{"user":{"userId":"u1","name":"n","age":30,"gender":"female",)"
    R"("location":{"country":"DE","city":"Berlin"}},"engagement":{"actionTime":"2026-11-25T08:00:00Z",)"
    R"("referrer":"newsfeed","videoId":null}}})";

using Positions = std::vector<std::size_t>;
}  // namespace

TEST_CASE("writer plan: fetch and writers from --batch-size, --concurrency, --db-pool-max", "[worker][plan]") {
  auto plan = [](int batch, int concurrency, int pool_max) {
    const WriterPlan p = plan_writers(batch, concurrency, pool_max);
    return std::pair{p.writers, p.fetch};
  };
  // The contract defaults: one fetch of 300 is split into two writers of 150.
  CHECK(plan(5000, 300, 75) == std::pair{2, 150});
  CHECK(plan(5000, 10000, 75) == std::pair{2, 5000});
  CHECK(plan(1000, 2000, 4) == std::pair{2, 1000});
  // Too small to split: one writer.
  CHECK(plan(100, 100, 4) == std::pair{1, 100});
  CHECK(plan(5000, 199, 75) == std::pair{1, 199});
  CHECK(plan(5000, 200, 75) == std::pair{2, 100});
  // Writers capped by the pool (one connection stays for the probe), never below one.
  CHECK(plan(100, 1000, 4) == std::pair{3, 100});
  CHECK(plan(100, 1000, 1) == std::pair{1, 100});
  CHECK(plan(0, 0, 0) == std::pair{1, 1});

  for (int batch : {1, 7, 100, 150, 5000})
    for (int concurrency : {1, 99, 200, 300, 1001, 10000})
      for (int pool_max : {1, 2, 4, 75}) {
        const WriterPlan p = plan_writers(batch, concurrency, pool_max);
        INFO(batch << " " << concurrency << " " << pool_max);
        CHECK(p.writers >= 1);
        CHECK(p.fetch >= 1);
        CHECK(p.fetch <= batch);
        CHECK(p.writers * p.fetch <= concurrency);  // at most --concurrency messages in hand
        CHECK(p.writers <= std::max(1, pool_max - 1));
      }
}

TEST_CASE("admission: too many deliveries, invalid JSON, invalid event, or a row", "[worker][plan]") {
  const Admission over = admit(3, 2, kValidEvent);
  CHECK_FALSE(over.row.has_value());
  CHECK(std::string(over.reason) == dlq::kReasonMaxDeliveries);
  CHECK(over.error == "delivered 3 times (limit 2)");

  const Admission at_limit = admit(2, 2, kValidEvent);
  REQUIRE(at_limit.row.has_value());
  CHECK(at_limit.row->event_id == "e-1");
  CHECK(admit(1000, 0, kValidEvent).row.has_value());  // --max-deliver 0: no limit

  const Admission json = admit(1, 10, "{not json");
  CHECK_FALSE(json.row.has_value());
  CHECK(std::string(json.reason) == dlq::kReasonInvalidJson);
  CHECK_FALSE(json.error.empty());

  const Admission event = admit(1, 10, R"({"eventId":"x","source":"myspace"})");
  CHECK_FALSE(event.row.has_value());
  CHECK(std::string(event.reason) == dlq::kReasonInvalidEvent);
  CHECK_FALSE(event.error.empty());

  const Admission array = admit(1, 10, "[1]");
  CHECK_FALSE(array.row.has_value());
  CHECK(std::string(array.reason) == dlq::kReasonInvalidEvent);

  // The delivery limit is checked first: a poison payload delivered too often is max_deliveries.
  CHECK(std::string(admit(5, 2, "{not json").reason) == dlq::kReasonMaxDeliveries);
}

TEST_CASE("write plan: sorted by id, duplicates acked with the first", "[worker][plan]") {
  const std::vector<std::string_view> ids = {"b", "a", "b", "c"};
  WritePlan plan(ids);
  REQUIRE_FALSE(plan.done());
  CHECK(plan.next() == Positions{1, 0, 3});
  CHECK(plan.next() == Positions{1, 0, 3});  // a retryable failure changes nothing: same range again
  const auto settled = plan.committed();
  CHECK(settled.ack == Positions{1, 0, 2, 3});
  CHECK(settled.nak.empty());
  CHECK(settled.dead_letter.empty());
  CHECK(plan.done());

  WritePlan empty(std::vector<std::string_view>{});
  CHECK(empty.done());
}

TEST_CASE("write plan: a data error bisects until the rejected row is alone", "[worker][plan]") {
  const std::vector<std::string_view> ids = {"a", "b", "c", "d", "e"};
  WritePlan plan(ids);
  CHECK(plan.rejected().ack.empty());  // split, nothing settled
  CHECK(plan.next() == Positions{0, 1});
  CHECK(plan.committed().ack == Positions{0, 1});
  CHECK(plan.next() == Positions{2, 3, 4});
  CHECK(plan.rejected().dead_letter.empty());
  CHECK(plan.next() == Positions{2});
  const auto alone = plan.rejected();
  CHECK(alone.dead_letter == Positions{2});
  CHECK(alone.ack.empty());
  CHECK(alone.nak.empty());
  CHECK(plan.next() == Positions{3, 4});
  CHECK(plan.committed().ack == Positions{3, 4});
  CHECK(plan.done());
}

TEST_CASE("write plan: other versions of a rejected id are NAKed, to be tried alone", "[worker][plan]") {
  const std::vector<std::string_view> ids = {"x", "x", "y"};
  WritePlan plan(ids);
  CHECK(plan.next() == Positions{0, 2});
  plan.rejected();
  CHECK(plan.next() == Positions{0});
  const auto settled = plan.rejected();
  CHECK(settled.dead_letter == Positions{0});
  CHECK(settled.nak == Positions{1});
  CHECK(plan.committed().ack == Positions{2});
  CHECK(plan.done());
}

TEST_CASE("write plan: every message is settled exactly once, whatever the database rejects", "[worker][plan]") {
  std::mt19937 rng(13);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = 1 + rng() % 40;
    std::vector<std::string> id_text;
    for (std::size_t i = 0; i < n; ++i) id_text.push_back("id-" + std::to_string(rng() % (n + 3)));
    std::set<std::string> bad;
    for (const auto& id : id_text)
      if (rng() % 5 == 0) bad.insert(id);
    const std::vector<std::string_view> ids(id_text.begin(), id_text.end());

    WritePlan plan(ids);
    std::vector<int> times_settled(n, 0);
    std::set<std::string> dead;
    int writes = 0;
    while (!plan.done()) {
      REQUIRE(++writes < 1000);
      const Positions& range = plan.next();
      std::set<std::string_view> in_range;
      for (std::size_t p : range) CHECK(in_range.insert(ids[p]).second);  // unique ids per write
      const bool rejected =
          std::any_of(range.begin(), range.end(), [&](std::size_t p) { return bad.count(id_text[p]) > 0; });
      const auto settled = rejected ? plan.rejected() : plan.committed();
      for (const Positions* part : {&settled.ack, &settled.nak, &settled.dead_letter})
        for (std::size_t p : *part) ++times_settled[p];
      for (std::size_t p : settled.dead_letter) dead.insert(id_text[p]);
      for (std::size_t p : settled.ack) CHECK(bad.count(id_text[p]) == 0);
    }
    for (std::size_t i = 0; i < n; ++i) CHECK(times_settled[i] == 1);
    for (const auto& id : bad)
      if (std::find(id_text.begin(), id_text.end(), id) != id_text.end()) CHECK(dead.count(id) == 1);
  }
}
