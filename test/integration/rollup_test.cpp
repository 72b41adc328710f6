// The rollups' write side against a real PostgreSQL: the upgrade of a database that already holds
// events (`eventhub migrate`, killed half way and run again), `rollup verify` finding a hand-edited
// row and `rollup rebuild` repairing it while writers and a compactor keep going, a transaction too
// large for one fold step, and two compactors with concurrent writers, resends and rolled-back
// batches. Every case ends with `eventhub rollup verify` (a recomputation from the stored rows) and
// the rollups' total against count(*).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "postgres_server.hpp"
#include "wait.hpp"

#include <eventhub/pg/connection.hpp>
#include <eventhub/pg/migrations.hpp>
#include <eventhub/rollup/folder.hpp>

#include <atomic>
#include <memory>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

using namespace eventhub::test;
using namespace std::chrono_literals;

namespace {

// Runs `body` on a thread; an exception there is kept and rethrown by join() on the test's thread.
class Worker {
 public:
  template <class F>
  explicit Worker(F body)
      : thread_([this, body] {
          try {
            body();
          } catch (const std::exception& e) {
            error_ = e.what();
          }
        }) {}
  void join() {
    thread_.join();
    INFO("background thread: " << error_);
    CHECK(error_.empty());
  }

 private:
  std::string error_;
  std::thread thread_;
};

PostgresServer& server() {
  static PostgresServer pg;
  return pg;
}

// `n` events from `offset` on, spread over the `days` before now, in one INSERT (one transaction):
// users with and without countries, facebook campaigns, purchases with sub-cent digits.
std::string generated_insert(int64_t n, int64_t offset, int days, const std::string& prefix = "ev") {
  return "INSERT INTO events (event_id, source, funnel_stage, event_type, event_time, user_id, country, campaign_id,"
         " purchase_amount, data) SELECT '" + prefix + "-' || g, s.source, s.stage,"
         " CASE WHEN s.source = 'facebook' AND s.stage = 'top' THEN 'ad.view' WHEN s.source = 'facebook' THEN "
         "'checkout.complete' WHEN s.stage = 'top' THEN 'like' ELSE 'purchase' END,"
         " now() - (g % (" + std::to_string(days) + " * 86400)) * interval '1 second' - (g % 997) * interval '1 millisecond',"
         " CASE WHEN g % 13 = 0 THEN NULL ELSE 'user-' || (g * 7919 % 2000) END,"
         " CASE WHEN g % 5 = 0 THEN NULL ELSE (ARRAY['Kenya', 'Brasil', 'Côte d''Ivoire', '日本'])[1 + g % 4] END,"
         " CASE WHEN s.source = 'facebook' AND s.stage = 'bottom' THEN 'cmp-' || (g % 7) END,"
         " CASE WHEN s.stage = 'bottom' AND g % 3 = 0 THEN round((g % 10000) / 100.0 + 0.0025, 4) END, '{}'"
         " FROM generate_series(" + std::to_string(offset + 1) + "::bigint, " + std::to_string(offset + n) + ") AS g,"
         " LATERAL (SELECT CASE WHEN g % 2 = 0 THEN 'facebook' ELSE 'tiktok' END AS source,"
         " CASE WHEN g % 3 = 0 THEN 'bottom' ELSE 'top' END AS stage) AS s";
}

std::string fresh_database(const std::string& name) {
  server().create_database(name);
  return server().url(name);
}

void migrate_all(const std::string& url) {
  eventhub::pg::Connection conn(url, 5000);
  eventhub::pg::migrate(conn);
}

void fold_all(const std::string& url) {
  eventhub::pg::Connection conn(url, 5000);
  eventhub::rollup::Folder folder(conn);
  for (int i = 0; i < 10'000; ++i) {
    const auto r = folder.step();
    if (r.locked && !r.more && r.events == 0) return;
  }
  FAIL("folding did not finish");
}

int64_t scalar(const std::string& db, const std::string& sql) { return std::stoll(server().query_scalar(db, sql)); }

// The rollups hold every stored event once and equal a recomputation from the stored rows.
void check_rollups(const std::string& db) {
  const auto verify = EventhubProcess::run({"rollup", "verify", "--database-url", server().url(db), "--progress", "none"},
                                           {}, 120s);
  INFO("rollup verify: " << verify.out << verify.err);
  CHECK(verify.exit_status == 0);
  CHECK(scalar(db, "SELECT COALESCE(sum(events), 0) FROM rollup_buckets WHERE grain = 1 AND source = ''"
                   " AND funnel_stage = '' AND event_type = ''") == scalar(db, "SELECT count(*) FROM events"));
  CHECK(server().query_scalar(db, "SELECT COALESCE(sum(revenue), 0)::text FROM rollup_buckets WHERE grain = 1"
                                  " AND source = '' AND funnel_stage = '' AND event_type = ''") ==
        server().query_scalar(db, "SELECT COALESCE(sum(purchase_amount), 0)::numeric::text FROM events"));
}

}  // namespace

TEST_CASE("migrate on a database that already holds events builds the rollups; killed, it continues", "[rollup]") {
  const std::string db = "upgrade";
  const std::string url = fresh_database(db);
  {
    // The schema before the rollups (migrations 001-003), with 150k events stored.
    const auto& all = eventhub::pg::embedded_migrations();
    const std::vector<eventhub::pg::Migration> before(all.begin(), all.begin() + 3);
    REQUIRE(before.back().version == "003_readonly_role");
    eventhub::pg::Connection conn(url, 5000);
    eventhub::pg::migrate(conn, before);
    conn.exec(generated_insert(150'000, 0, 20));
  }
  {
    EventhubProcess migrate({"migrate", "--database-url", url, "--progress", "plain"});
    // Killed while it folds (each step is a transaction: what committed stays, the rest is redone).
    const bool started = wait_until(60s, [&] {
      try {
        return scalar(db, "SELECT count(*) FROM rollup_buckets") > 0;
      } catch (const std::exception&) {
        return false;
      }
    }, 20ms);
    REQUIRE(started);
    migrate.kill9();
    migrate.wait_exit(10s);
  }
  const bool interrupted = server().query_scalar(db, "SELECT (backfill_next IS NOT NULL)::text FROM rollup_state") == "true";
  if (!interrupted) WARN("migrate finished before it could be killed; the resumption was not exercised");
  const auto again = EventhubProcess::run({"migrate", "--database-url", url, "--progress", "plain"}, {}, 300s);
  INFO(again.out << again.err);
  REQUIRE(again.exit_status == 0);
  CHECK(again.err.find("rollups:") != std::string::npos);  // progress and the summary on stderr
  CHECK(server().query_scalar(db, "SELECT (backfill_next IS NULL)::text FROM rollup_state") == "true");
  check_rollups(db);
  // A second run has nothing left to do.
  CHECK(EventhubProcess::run({"migrate", "--database-url", url, "--progress", "none"}).exit_status == 0);
  check_rollups(db);
}

TEST_CASE("verify finds a row edited by hand; rebuild repairs its day while writers and a compactor go on",
          "[rollup]") {
  const std::string db = "repair";
  const std::string url = fresh_database(db);
  migrate_all(url);
  server().exec(db, generated_insert(20'000, 0, 3));
  fold_all(url);
  check_rollups(db);

  // An operator edits a stored event: the rollups no longer match it.
  server().exec(db, "UPDATE events SET purchase_amount = 12345.6789 WHERE event_id = 'ev-300'");
  const std::string day = server().query_scalar(
      db, "SELECT to_char(date_trunc('day', event_time AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM events"
          " WHERE event_id = 'ev-300'");
  const std::string next_day = server().query_scalar(
      db, "SELECT to_char(date_trunc('day', event_time AT TIME ZONE 'UTC') + interval '1 day',"
          " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM events WHERE event_id = 'ev-300'");
  const auto found = EventhubProcess::run({"rollup", "verify", "--database-url", url, "--progress", "none"}, {}, 60s);
  INFO(found.out << found.err);
  CHECK(found.exit_status == 1);
  CHECK(found.out.find("revenue stored") != std::string::npos);
  CHECK(found.err.find("difference(s)") != std::string::npos);

  // Writers commit new events (some in that day) and a compactor folds them while the rebuild runs.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  Worker writer([&] {
    eventhub::pg::Connection conn(url, 5000);
    for (int64_t batch = 0; !stop; ++batch) {
      conn.exec(generated_insert(200, 1'000'000 + batch * 200, 3));
      written += 200;
    }
  });
  Worker compactor([&] {
    eventhub::pg::Connection conn(url, 5000);
    eventhub::rollup::Folder folder(conn, 1000);
    while (!stop) {
      if (!folder.step().more) std::this_thread::sleep_for(20ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  const auto rebuild = EventhubProcess::run(
      {"rollup", "rebuild", "--database-url", url, "--from", day, "--to", next_day, "--progress", "plain"}, {}, 120s);
  std::this_thread::sleep_for(300ms);
  stop = true;
  writer.join();
  compactor.join();
  INFO(rebuild.out << rebuild.err);
  CHECK(rebuild.exit_status == 0);
  CHECK(rebuild.err.find("rebuilt") != std::string::npos);
  CHECK(written > 0);
  fold_all(url);
  check_rollups(db);
}

TEST_CASE("a transaction larger than a fold step is folded as a backfill", "[rollup]") {
  const std::string db = "bulk";
  const std::string url = fresh_database(db);
  migrate_all(url);
  server().exec(db, generated_insert(120'000, 0, 2));  // one transaction
  eventhub::pg::Connection conn(url, 5000);
  eventhub::rollup::Folder folder(conn, 20'000);
  bool saw_backfill = false;
  for (int i = 0; i < 1000; ++i) {
    const auto r = folder.step();
    saw_backfill |= r.backfilling && r.state.backfill_tx.has_value();
    if (r.locked && !r.more && r.events == 0) break;
  }
  CHECK(saw_backfill);
  CHECK(server().query_scalar(db, "SELECT (backfill_next IS NULL AND backfill_tx IS NULL)::text FROM rollup_state") ==
        "true");
  check_rollups(db);
}

TEST_CASE("two compactors and concurrent writers: resends and rolled-back batches add nothing", "[rollup]") {
  const std::string db = "concurrent";
  const std::string url = fresh_database(db);
  migrate_all(url);
  std::atomic<bool> stop{false};
  std::atomic<int> steps_folding[2] = {0, 0};
  std::vector<std::unique_ptr<Worker>> compactors;
  for (int c = 0; c < 2; ++c)
    compactors.push_back(std::make_unique<Worker>([&, c] {
      eventhub::pg::Connection conn(url, 5000);
      eventhub::rollup::Folder folder(conn, 1000);
      while (!stop) {
        const auto r = folder.step();
        if (r.events > 0) ++steps_folding[c];
        if (!r.more) std::this_thread::sleep_for(5ms);
      }
    }));
  std::vector<std::unique_ptr<Worker>> writers;
  for (int w = 0; w < 2; ++w)
    writers.push_back(std::make_unique<Worker>([&, w] {
      eventhub::pg::Connection conn(url, 5000);
      for (int batch = 0; batch < 60; ++batch) {
        const int64_t offset = (w * 60 + batch) * 100;
        if (batch % 10 == 9) {  // a batch that rolls back: its rows never existed
          conn.exec("BEGIN");
          conn.exec(generated_insert(100, 5'000'000 + offset, 1, "rolled-back"));
          conn.exec("ROLLBACK");
          continue;
        }
        conn.exec(generated_insert(100, offset, 1));
        // The same events again, as a worker does after a redelivery: nothing new is stored.
        conn.exec(generated_insert(100, offset, 1) + " ON CONFLICT (event_id) DO NOTHING");
      }
    }));
  for (auto& t : writers) t->join();
  std::this_thread::sleep_for(500ms);
  stop = true;
  for (auto& t : compactors) t->join();
  fold_all(url);
  CHECK(scalar(db, "SELECT count(*) FROM events") == 2 * 54 * 100);
  CHECK(scalar(db, "SELECT count(*) FROM events WHERE event_id LIKE 'rolled-back%'") == 0);
  WARN("steps that folded events: compactor 1 " << steps_folding[0] << ", compactor 2 " << steps_folding[1]);
  check_rollups(db);
}
