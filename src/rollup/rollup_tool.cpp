#include <eventhub/rollup/rollup_tool.hpp>

#include <eventhub/common/log.hpp>
#include <eventhub/common/progress_mode.hpp>
#include <eventhub/common/time.hpp>
#include <eventhub/pg/migrations.hpp>
#include <eventhub/rollup/folder.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace eventhub::rollup {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDayUs = 86'400'000'000;

std::string day_text(int64_t us) {
  return common::format_rfc3339(common::from_unix_us(us), common::FractionDigits::none).substr(0, 10);
}

// One progress line on stderr: redrawn in place on a terminal, every 5 s otherwise.
class Progress {
 public:
  explicit Progress(const std::string& configured)
      : mode_(common::resolve_progress_mode(configured, isatty(STDERR_FILENO) == 1)) {}
  void update(const std::string& line, bool force = false) {
    if (mode_ == common::ProgressMode::none) return;
    const auto now = Clock::now();
    const auto every = mode_ == common::ProgressMode::tty ? std::chrono::milliseconds(200) : std::chrono::seconds(5);
    if (!force && now - last_ < every) return;
    last_ = now;
    if (mode_ == common::ProgressMode::tty) std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  void done(const std::string& line) {
    if (mode_ == common::ProgressMode::tty && drawn_) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "%s\n", line.c_str());
  }

 private:
  common::ProgressMode mode_;
  Clock::time_point last_{};
  bool drawn_ = false;
};

pg::Connection connect(const common::RollupToolConfig& c, const char* name) {
  return pg::Connection(c.db.url, static_cast<int>(c.db.connect_timeout.count()), name);
}

// [from, to) of the command: the given times, else the stored events' span; widened to UTC days.
struct Range {
  int64_t from_us = 0;
  int64_t to_us = 0;
  bool no_events = false;  // no range given and no events stored
  bool empty() const { return from_us >= to_us; }
};

Range range_of(pg::Connection& conn, const common::RollupToolConfig& c) {
  Range r;
  std::optional<int64_t> from, to;
  if (!c.from.empty()) {
    const auto t = common::parse_rfc3339(c.from, {.allow_space_separator = true});
    if (!t) throw std::invalid_argument("--from: not an RFC 3339 date-time: '" + c.from + "'");
    from = common::to_unix_us(*t);
  }
  if (!c.to.empty()) {
    const auto t = common::parse_rfc3339(c.to, {.allow_space_separator = true});
    if (!t) throw std::invalid_argument("--to: not an RFC 3339 date-time: '" + c.to + "'");
    to = common::to_unix_us(*t);
  }
  if (!from || !to) {
    pg::Result span = conn.exec_params(
        "SELECT (extract(epoch FROM min(event_time)) * 1000000)::int8,"
        " (extract(epoch FROM max(event_time)) * 1000000)::int8 FROM events");
    if (pg::is_null(span.get(), 0, 0)) {
      r.no_events = true;
      return r;
    }
    if (!from) from = std::stoll(std::string(pg::text(span.get(), 0, 0)));
    if (!to) to = std::stoll(std::string(pg::text(span.get(), 0, 1))) + 1;
  }
  r.from_us = floor_to(Grain::day, *from);
  r.to_us = ceil_to(Grain::day, *to);
  return r;
}

}  // namespace

int run_migrate(const common::RollupToolConfig& c) {
  pg::Connection conn = connect(c, "eventhub-migrate");
  const auto applied = pg::migrate(conn);
  std::string list;
  for (const auto& v : applied) list += (list.empty() ? "" : ",") + v;
  log::info("migrations applied", "count", applied.size(), "versions", list.empty() ? "none" : list);

  // Fold what is stored: events from before the rollup migration (a stretch of event time per
  // transaction, so an interrupted run keeps what it did and the next one continues), then events
  // committed since, up to what was committed when this command started (workers may keep writing;
  // their compactors fold the rest).
  pg::Result snapshot = conn.exec_params("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
  const uint64_t target = std::stoull(std::string(pg::text(snapshot.get(), 0, 0)));
  Folder folder(conn);
  auto state = read_state(conn);
  if (!state) return 0;
  Progress progress(c.progress);
  const auto started = Clock::now();
  int64_t events = 0;
  std::optional<std::pair<int64_t, int64_t>> span;  // of the backfill being shown
  for (;;) {
    const StepResult r = folder.step();
    if (!r.locked) {  // a worker's compactor holds the lock; it folds the same backlog
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      state = read_state(conn);
    } else {
      events += r.events;
      state = r.state;
    }
    if (!state) break;
    if (state->backfill_done() && ((r.locked && !r.more) || state->folded_below >= target)) break;
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    const double rate = secs > 0 ? static_cast<double>(events) / secs : 0.0;
    char line[200];
    if (!state->backfill_done()) {
      if (!span || span->second != *state->backfill_to_us) span.emplace(*state->backfill_next_us, *state->backfill_to_us);
      const double done = static_cast<double>(*state->backfill_next_us - span->first) /
                          static_cast<double>(std::max<int64_t>(1, span->second - span->first + 1));
      std::snprintf(line, sizeof line, "rollups: folding stored events %5.1f%%  up to %s  %lld events folded (%.0f/s)",
                    100 * done, day_text(*state->backfill_next_us).c_str(), static_cast<long long>(events), rate);
    } else {
      std::snprintf(line, sizeof line, "rollups: folding events committed since  %lld events folded (%.0f/s)",
                    static_cast<long long>(events), rate);
    }
    progress.update(line);
  }
  char line[160];
  std::snprintf(line, sizeof line, "rollups: %lld stored events folded in %.1f s", static_cast<long long>(events),
                std::chrono::duration<double>(Clock::now() - started).count());
  progress.done(line);
  return 0;
}

int run_rebuild(const common::RollupToolConfig& c) {
  pg::Connection conn = connect(c, "eventhub-rollup");
  const Range range = range_of(conn, c);
  if (range.empty()) {
    std::fprintf(stderr, range.no_events ? "rollup rebuild: no events stored, nothing to rebuild\n"
                                         : "rollup rebuild: the range is empty (--to is exclusive)\n");
    return 0;
  }
  Folder folder(conn);
  Progress progress(c.progress);
  const auto days = (range.to_us - range.from_us) / kDayUs;
  int64_t done = 0, events = 0;
  folder.rebuild(range.from_us, range.to_us, [&](int64_t day, int64_t n) {
    ++done;
    events += n;
    progress.update("rollup rebuild: " + day_text(day) + "  " + std::to_string(done) + "/" + std::to_string(days) +
                        " days, " + std::to_string(events) + " events",
                    done == days);
  });
  progress.done("rollup rebuild: " + std::to_string(days) + " day(s) from " + day_text(range.from_us) + " rebuilt from " +
                std::to_string(events) + " events");
  return 0;
}

int run_verify(const common::RollupToolConfig& c) {
  pg::Connection conn = connect(c, "eventhub-rollup");
  const Range range = range_of(conn, c);
  if (range.empty()) {
    std::fprintf(stderr, range.no_events ? "rollup verify: no events stored; nothing to compare\n"
                                         : "rollup verify: the range is empty (--to is exclusive)\n");
    return 0;
  }
  Folder folder(conn);
  Progress progress(c.progress);
  const auto days = (range.to_us - range.from_us) / kDayUs;
  int64_t done = 0, count = 0;
  const auto differences = folder.verify(range.from_us, range.to_us, static_cast<std::size_t>(c.max_differences), count,
                                         [&](int64_t day) {
                                           ++done;
                                           progress.update("rollup verify: " + day_text(day) + "  " +
                                                               std::to_string(done) + "/" + std::to_string(days) + " days",
                                                           done == days);
                                         });
  for (const auto& d : differences) std::printf("%s\n", d.what.c_str());
  std::fflush(stdout);
  if (count == 0) {
    progress.done("rollup verify: " + std::to_string(days) + " day(s) from " + day_text(range.from_us) +
                  ": the rollups equal a recomputation from the stored events");
    return 0;
  }
  progress.done("rollup verify: " + std::to_string(count) + " difference(s) in " + std::to_string(days) + " day(s) from " +
                day_text(range.from_us) + (static_cast<int64_t>(differences.size()) < count ? " (first ones printed)" : ""));
  return 1;
}

}  // namespace eventhub::rollup
