#include <eventhub/rollup/folder.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/common/time.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace eventhub::rollup {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDayUs = 86'400'000'000;
// An hour is sealed this long after it ended (events arrive a little late); a day once its hours are.
constexpr int64_t kSealGraceUs = 15 * 60'000'000LL;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string ts(int64_t unix_us) {
  return common::format_rfc3339(common::from_unix_us(unix_us), common::FractionDigits::micros);
}

void rollback_quietly(pg::Connection& conn) {
  if (!conn.ok() || PQtransactionStatus(conn.raw()) == PQTRANS_IDLE) return;
  try {
    conn.exec("ROLLBACK");
  } catch (const pg::Error&) {
    // A connection in doubt is dropped by the caller (the error is rethrown there).
  }
}

State require_state(pg::Connection& conn) {
  auto state = read_state(conn);
  if (!state) throw std::runtime_error("the database has no rollup tables: run `eventhub migrate`");
  return *state;
}

std::string level_name(const Level& l) {
  auto part = [](const std::string& v) { return v.empty() ? std::string("*") : v; };
  return part(l.source) + "/" + part(l.funnel_stage) + "/" + part(l.event_type);
}

std::string describe_key(const BucketKey& k) {
  return std::string(grain_name(k.grain)) + " " + ts(k.bucket_us) + " " + level_name(k.level);
}

std::string describe_difference(const BucketData& stored, const BucketData& expected) {
  std::string out;
  auto add = [&](const std::string& what) { out += (out.empty() ? "" : "; ") + what; };
  if (stored.totals.events != expected.totals.events)
    add("events stored " + std::to_string(stored.totals.events) + ", expected " + std::to_string(expected.totals.events));
  if (stored.totals.purchases != expected.totals.purchases)
    add("purchases stored " + std::to_string(stored.totals.purchases) + ", expected " +
        std::to_string(expected.totals.purchases));
  if (stored.totals.revenue != expected.totals.revenue)
    add("revenue stored " + money_exact(stored.totals.revenue) + ", expected " + money_exact(expected.totals.revenue));
  if (!(stored.users == expected.users))
    add("users stored " + std::to_string(stored.users.size()) + ", expected " + std::to_string(expected.users.size()));
  if (stored.countries != expected.countries) add("per-country figures differ");
  if (stored.campaigns != expected.campaigns) add("per-campaign figures differ");
  return out;
}

}  // namespace

Folder::Folder(pg::Connection& conn, int64_t max_events_per_step, std::function<int64_t()> clock)
    : conn_(conn),
      max_events_(std::max<int64_t>(1000, max_events_per_step)),
      clock_(clock ? std::move(clock) : [] { return common::to_unix_us(common::now()); }),
      backfill_step_us_(3'600'000'000) {}

void Folder::ensure_staging() {
  if (staging_ready_) return;
  create_staging_tables(conn_);
  staging_ready_ = true;
}

void Folder::resolve_users(RawRows& rows, std::vector<std::pair<std::string, uint32_t>>& assigned) {
  std::vector<std::string> missing;
  std::unordered_map<std::string_view, uint32_t> fresh;
  for (const auto& e : rows.events)
    if (e.user_id && ids_.find(*e.user_id) == ids_.end() && fresh.emplace(*e.user_id, 0).second)
      missing.emplace_back(*e.user_id);
  if (!missing.empty()) {
    const auto ids = assign_user_ids(conn_, missing);
    for (std::size_t i = 0; i < missing.size(); ++i) {
      fresh[missing[i]] = ids[i];
      assigned.emplace_back(missing[i], ids[i]);
    }
  }
  for (auto& e : rows.events) {
    if (!e.user_id) continue;
    const auto f = fresh.find(*e.user_id);
    e.user = f != fresh.end() ? f->second : ids_.find(*e.user_id)->second;
  }
}

void Folder::apply(const Fold& fold, bool merge_existing, const State& state) {
  const auto t0 = Clock::now();
  auto rows = fold.bucket_deltas();
  // Open hours and days have no rows yet: their events are in the minute rows until sealed.
  std::erase_if(rows, [&](const auto& entry) { return !state.sealed(entry.first.grain, entry.first.bucket_us); });
  const auto t1 = Clock::now();
  if (merge_existing) {
    std::vector<BucketKey> keys;
    keys.reserve(rows.size());
    for (const auto& [key, data] : rows) keys.push_back(key);
    for (auto& stored : read_bucket_keys(conn_, keys)) {
      stored.data.merge(rows.at(stored.key));
      rows[stored.key] = std::move(stored.data);
    }
  }
  const auto t2 = Clock::now();
  ensure_staging();
  write_buckets(conn_, rows, buffer_);
  const auto t3 = Clock::now();
  add_user_totals(conn_, fold.user_deltas(), buffer_);
  if (log::enabled(log::Level::debug))
    log::debug("rollup apply", "bucket_rows", rows.size(), "user_rows", fold.user_deltas().size(), "derive_ms",
               ms(t1 - t0), "read_existing_ms", ms(t2 - t1), "write_buckets_ms", ms(t3 - t2), "user_totals_ms",
               ms(Clock::now() - t3));
}

StepResult Folder::step() {
  const auto started = Clock::now();
  StepResult out;
  std::vector<std::pair<std::string, uint32_t>> assigned;
  conn_.exec("BEGIN");
  try {
    {
      pg::Result lock = conn_.exec_params("SELECT pg_try_advisory_xact_lock($1::int8)", {std::to_string(kFoldLockKey)});
      if (pg::text(lock.get(), 0, 0) != "t") {
        conn_.exec("ROLLBACK");
        out.locked = false;
        return out;
      }
    }
    const State state = require_state(conn_);
    State next = state;
    RawRows rows;
    if (!state.backfill_done()) {
      // Pre-migration events, a stretch of event time per step (sized to about max_events_).
      // A step ends on a day boundary when it spans one, so each day row is written once.
      const int64_t from = *state.backfill_next_us;
      int64_t to = from + backfill_step_us_;
      if (floor_to(Grain::day, to) > from) to = floor_to(Grain::day, to);
      to = std::min(to, *state.backfill_to_us + 1);
      std::vector<std::optional<std::string>> params{ts(from), ts(to)};
      const std::string which = backfill_condition(state, params);
      read_raw(conn_, {}, which + " AND e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz", params, rows);
      const auto n = static_cast<int64_t>(rows.events.size());
      const int64_t target = 4 * max_events_;
      if (n < target / 2) backfill_step_us_ = std::min<int64_t>(backfill_step_us_ * 2, 30 * kDayUs);
      else if (n > target) backfill_step_us_ = std::max<int64_t>(backfill_step_us_ / 2, 1'000'000);
      if (to > *state.backfill_to_us) {
        next.backfill_next_us.reset();
        next.backfill_to_us.reset();
        next.backfill_tx.reset();
      } else {
        next.backfill_next_us = to;
      }
      out.more = true;
      out.backfilling = !next.backfill_done();
    } else {
      pg::Result snapshot = conn_.exec_params("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
      const std::string xmin(pg::text(snapshot.get(), 0, 0));
      read_raw(conn_, {.with_tx = true}, "e.tx >= $1::xid8 AND e.tx < $2::xid8",
               {std::to_string(state.folded_below), xmin}, rows, " ORDER BY e.tx LIMIT " + std::to_string(max_events_ + 1));
      if (static_cast<int64_t>(rows.events.size()) > max_events_) {
        // Stop before the first transaction that did not fit: a transaction is folded whole.
        const uint64_t cut = rows.tx[static_cast<std::size_t>(max_events_)];
        if (cut == rows.tx.front()) {
          // One transaction larger than a step (a bulk import): it becomes a backfill, folded a
          // stretch of event time per step like pre-migration events; the watermark moves past it.
          pg::Result span = conn_.exec_params(
              "SELECT (extract(epoch FROM min(event_time)) * 1000000)::int8,"
              " (extract(epoch FROM max(event_time)) * 1000000)::int8 FROM events WHERE tx = $1::xid8",
              {std::to_string(cut)});
          next.backfill_tx = cut;
          next.backfill_next_us = std::stoll(std::string(pg::text(span.get(), 0, 0)));
          next.backfill_to_us = std::stoll(std::string(pg::text(span.get(), 0, 1)));
          next.folded_below = cut + 1;
          backfill_step_us_ = 3'600'000'000;
          write_state(conn_, next);
          conn_.exec("COMMIT");
          log::info("rollup: a transaction too large for one step is folded as a backfill", "tx", cut);
          out.more = true;
          out.backfilling = true;
          out.state = next;
          return out;
        } else {
          const auto keep = static_cast<std::size_t>(std::lower_bound(rows.tx.begin(), rows.tx.end(), cut) - rows.tx.begin());
          rows.events.resize(keep);
          rows.tx.resize(keep);
          next.folded_below = cut;
        }
        out.more = true;
      } else {
        next.folded_below = std::stoull(xmin);
      }
      if (rows.events.empty()) {
        // Nothing to fold: seal what is due, or leave without writing anything.
        if (seal(next)) {
          write_state(conn_, next);
          conn_.exec("COMMIT");
        } else {
          conn_.exec("ROLLBACK");
        }
        out.state = next;
        return out;
      }
    }
    const auto read_at = Clock::now();
    resolve_users(rows, assigned);
    const auto ids_at = Clock::now();
    Fold fold;
    for (const auto& e : rows.events) fold.add(e);
    const auto folded_at = Clock::now();
    apply(fold, true, state);
    seal(next);
    write_state(conn_, next);
    conn_.exec("COMMIT");
    out.events = fold.events();
    out.state = next;
    if (log::enabled(log::Level::debug))
      log::debug("rollup step", "events", out.events, "read_ms", ms(read_at - started), "ids_ms", ms(ids_at - read_at),
                 "fold_ms", ms(folded_at - ids_at), "write_ms", ms(Clock::now() - folded_at));
  } catch (...) {
    rollback_quietly(conn_);
    throw;
  }
  for (auto& [user, id] : assigned) ids_.emplace(std::move(user), id);
  if (ids_.size() > 4'000'000) ids_.clear();  // bounded memory; misses are looked up again
  return out;
}

bool Folder::seal(State& state) {
  const int64_t now = clock_();
  bool sealed = false;
  // Hours that ended kSealGrace ago: late events after that update the sealed hour row (rare).
  const int64_t hours_due = floor_to(Grain::hour, now - kSealGraceUs);
  if (hours_due > state.hours_sealed_before_us) {
    const int64_t end = std::min(hours_due, state.hours_sealed_before_us + kDayUs);
    build_coarser(Grain::hour, state.hours_sealed_before_us, end);
    state.hours_sealed_before_us = end;
    sealed = true;
  }
  const int64_t days_due = floor_to(Grain::day, state.hours_sealed_before_us);
  if (days_due > state.days_sealed_before_us) {
    const int64_t end = std::min(days_due, state.days_sealed_before_us + 7 * kDayUs);
    build_coarser(Grain::day, state.days_sealed_before_us, end);
    state.days_sealed_before_us = end;
    sealed = true;
  }
  return sealed;
}

void Folder::build_coarser(Grain grain, int64_t from_us, int64_t to_us) {
  const Grain finer = grain == Grain::day ? Grain::hour : Grain::minute;
  std::map<BucketKey, BucketData> rows;
  for (auto& row : read_buckets(conn_, {{finer, from_us, to_us}}, all_levels(), kAllColumns))
    rows[BucketKey{grain, floor_to(grain, row.key.bucket_us), row.key.level}].merge(row.data);
  ensure_staging();
  write_buckets(conn_, rows, buffer_);
}

void Folder::rebuild(int64_t from_us, int64_t to_us,
                     const std::function<void(int64_t day_us, int64_t events)>& progress) {
  for (int64_t day = floor_to(Grain::day, from_us); day < to_us; day += kDayUs) {
    std::vector<std::pair<std::string, uint32_t>> assigned;
    int64_t events = 0;
    conn_.exec("BEGIN");
    try {
      conn_.exec_params("SELECT pg_advisory_xact_lock($1::int8)", {std::to_string(kFoldLockKey)});
      const State state = require_state(conn_);
      if (!state.backfill_done())
        throw std::runtime_error("the rollups of pre-migration events are still being built: run `eventhub migrate` "
                                 "to finish, then rebuild");
      delete_day_range(conn_, day, day + kDayUs);
      std::vector<std::optional<std::string>> params{ts(day), ts(day + kDayUs)};
      const std::string folded = folded_condition(state, params);
      RawRows rows;
      read_raw(conn_, {}, "e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz AND " + folded, params,
               rows);
      resolve_users(rows, assigned);
      Fold fold;
      for (const auto& e : rows.events) fold.add(e);
      apply(fold, false, state);
      conn_.exec("COMMIT");
      events = fold.events();
    } catch (...) {
      rollback_quietly(conn_);
      throw;
    }
    for (auto& [user, id] : assigned) ids_.emplace(std::move(user), id);
    if (progress) progress(day, events);
  }
}

std::vector<Difference> Folder::verify(int64_t from_us, int64_t to_us, std::size_t limit, int64_t& count,
                                       const std::function<void(int64_t day_us)>& progress) {
  std::vector<Difference> out;
  count = 0;
  auto report = [&](std::string what) {
    ++count;
    if (out.size() < limit) out.push_back({std::move(what)});
  };
  for (int64_t day = floor_to(Grain::day, from_us); day < to_us; day += kDayUs) {
    conn_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      const State state = require_state(conn_);
      std::vector<std::optional<std::string>> params{ts(day), ts(day + kDayUs)};
      const std::string folded = folded_condition(state, params);
      RawRows rows;
      read_raw(conn_, {.with_ids = true},
               "e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz AND " + folded, params, rows);
      Fold fold;
      for (const auto& e : rows.events) {
        if (e.user_id && !e.user) report("user " + std::string(*e.user_id) + " (folded events) has no dictionary id");
        fold.add(e);
      }
      auto expected = fold.bucket_deltas();
      std::erase_if(expected, [&](const auto& entry) { return !state.sealed(entry.first.grain, entry.first.bucket_us); });
      std::map<BucketKey, BucketData> stored;
      for (auto& row : read_day_range(conn_, day, day + kDayUs)) stored.emplace(row.key, std::move(row.data));
      for (const auto& [key, data] : expected) {
        const auto it = stored.find(key);
        if (it == stored.end()) report(describe_key(key) + ": missing (expected " + std::to_string(data.totals.events) + " events)");
        else if (!(it->second == data)) report(describe_key(key) + ": " + describe_difference(it->second, data));
      }
      for (const auto& [key, data] : stored)
        if (!expected.count(key))
          report(describe_key(key) + ": stored " + std::to_string(data.totals.events) + " events, expected none");
      const auto& expected_users = fold.user_deltas();
      const auto stored_users = read_user_totals_range(conn_, day, day + kDayUs);
      for (const auto& [key, t] : expected_users) {
        const auto it = stored_users.find(key);
        if (it == stored_users.end() || !(it->second == t))
          report("user " + key.user_id + " " + key.source + " " + std::string(grain_name(key.grain)) + " " +
                 ts(key.bucket_us) + " " + key.event_type + ": stored " +
                 (it == stored_users.end() ? std::string("nothing") : std::to_string(it->second.events) + " events") +
                 ", expected " + std::to_string(t.events) + " events, revenue " + money_exact(t.revenue));
      }
      for (const auto& [key, t] : stored_users)
        if (!expected_users.count(key))
          report("user " + key.user_id + " " + key.source + " " + std::string(grain_name(key.grain)) + " " +
                 ts(key.bucket_us) + " " + key.event_type + ": stored " + std::to_string(t.events) +
                 " events, expected none");
      conn_.exec("COMMIT");
    } catch (...) {
      rollback_quietly(conn_);
      throw;
    }
    if (progress) progress(day);
  }
  return out;
}

}  // namespace eventhub::rollup
