// users/top from the per-user totals (rollup_user_totals), without reading every user of the window.
//
// The answer is exact. A threshold search (Fagin's TA, with NRA-style bounds): the window's cover
// W+ by whole days (hours for windows within two days) gives one list per (bucket, source, event
// type) of the filter, each sorted by the ranking measure in an index. Reading the head (depth M)
// of every list gives candidates, and for anyone not seen a bound: the sum of the lists' M-th values
// (0 for a list read to its end). A candidate's exact total over the window itself comes from its own
// rows (day and hour buckets of the window, raw rows for the edges shorter than an hour, and events
// not folded yet). When the N-th exact total beats the bound of everyone not computed, the answer is
// final; otherwise the search reads deeper, and past a depth it aggregates every user of the window.
// Heavy users make the head short: on the benchmark data the first round (M = 64) decides.
// Flat data (many users with a few events each) defeats any such bound; by=revenue then sums only the
// users with revenue, by=events every user of the window.
//
// Over 400 lines on purpose: one algorithm whose parts (bounds, candidates, exact totals, fallbacks)
// must agree on the same window cover and tie order; split, they would share most of this class.

#include <eventhub/analytics/answers.hpp>

#include <eventhub/analytics/json_writer.hpp>
#include <eventhub/common/time.hpp>
#include <eventhub/events/vocabulary.hpp>
#include <eventhub/pg/copy.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

namespace eventhub::analytics {

namespace {

using rollup::Grain;
using rollup::Money;

std::string ts(int64_t unix_us) {
  return common::format_rfc3339(common::from_unix_us(unix_us), common::FractionDigits::micros);
}

struct Pair {
  std::string user_id;
  std::string source;
  auto operator<=>(const Pair&) const = default;
};

struct PairHash {
  std::size_t operator()(const Pair& p) const {
    return std::hash<std::string_view>{}(p.user_id) * 31 + std::hash<std::string_view>{}(p.source);
  }
};

struct Figures {
  int64_t events = 0;
  Money revenue = 0;
  Figures& operator+=(const Figures& o) {
    events += o.events;
    revenue += o.revenue;
    return *this;
  }
};

// The (source, event type) pairs the filter keeps.
std::set<std::pair<std::string, std::string>> filter_types(const QueryOptions& o) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& source : events::sources())
    for (const auto& stage : source.stages)
      for (auto type : stage.event_types)
        if ((!o.source || *o.source == source.name) && (!o.funnel_stage || *o.funnel_stage == stage.name) &&
            (!o.event_type || *o.event_type == type))
          out.emplace(source.name, type);
  return out;
}

class TopUsers {
 public:
  TopUsers(Snapshot& s, const QueryOptions& o)
      : s_(s), o_(o), by_revenue_(o.by == TopBy::revenue), limit_(static_cast<std::size_t>(o.limit.value_or(kDefaultLimit))),
        types_(filter_types(o)) {}

  std::vector<std::pair<Pair, Figures>> run() {
    if (types_.empty()) return {};
    read_unfolded();
    // The rollups' event counts bound how long each list is (a list has a row per user with events
    // there): when all of them together are short, summing every user is cheaper than a search
    // (sparse data: few events per user and bucket).
    const Lists l = lists();
    const ListRows rows = list_rows(l);
    if (rows.events <= std::max<uint64_t>(kAggregateAllRows, 256 * l.buckets.size() * types_.size())) return everyone();
    // by=revenue: summing the users with revenue reads a row per purchase at most; below this many
    // it is cheaper than search rounds that flat data makes fail (measured at 1M events: 120 ms
    // with the rounds first, the sum alone reads 11k rows).
    if (by_revenue_ && rows.purchases <= kRevenueSumRows) return everyone();
    const uint64_t n_lists = l.buckets.size() * types_.size();
    for (int depth = 64; depth <= kMaxDepth && !aggregate_all_; depth *= 8) {
      // A round that would read half of all list rows costs more than summing every user once.
      if (static_cast<uint64_t>(depth) * n_lists >= rows.events / 2) break;
      if (auto answer = search(depth)) return *answer;
    }
    return everyone();
  }

 private:
  static constexpr int kMaxDepth = 4096;  // 64, 512, 4096
  static constexpr uint64_t kAggregateAllRows = 20'000;
  static constexpr uint64_t kRevenueSumRows = 30'000;


  Money score(const Figures& f) const { return by_revenue_ ? f.revenue : Money(f.events); }

  // Answer order: the measure descending, then events descending, user id and source ascending.
  bool before(const std::pair<Pair, Figures>& a, const std::pair<Pair, Figures>& b) const {
    if (score(a.second) != score(b.second)) return score(a.second) > score(b.second);
    if (a.second.events != b.second.events) return a.second.events > b.second.events;
    return a.first < b.first;
  }

  bool wanted(std::string_view source, std::string_view type) const {
    return types_.count({std::string(source), std::string(type)}) > 0;
  }

  // Events committed since the last fold, anywhere in the window: exact figures, all candidates.
  void read_unfolded() {
    rollup::RawRows rows;
    rollup::read_raw(s_.conn(), {},
                     "e.tx >= $1::xid8 AND e.event_time >= $2::timestamptz AND e.event_time < $3::timestamptz"
                     " AND e.user_id IS NOT NULL",
                     {std::to_string(s_.state().folded_below), ts(s_.from_us()), ts(s_.to_us())}, rows);
    for (const auto& e : rows.events)
      if (wanted(e.source, e.event_type))
        unfolded_[{std::string(*e.user_id), std::string(e.source)}] += Figures{1, e.amount.value_or(0)};
  }

  // The lists of the search: whole days covering the window, or whole hours for short windows.
  struct Lists {
    Grain grain;
    std::vector<int64_t> buckets;
  };
  Lists lists() const {
    const int64_t day = rollup::grain_us(Grain::day);
    const int64_t first_day = rollup::floor_to(Grain::day, s_.from_us());
    const int64_t end_day = rollup::ceil_to(Grain::day, s_.to_us());
    Lists l;
    l.grain = end_day - first_day <= 2 * day ? Grain::hour : Grain::day;
    const int64_t step = rollup::grain_us(l.grain);
    for (int64_t b = rollup::floor_to(l.grain, s_.from_us()); b < s_.to_us(); b += step) l.buckets.push_back(b);
    return l;
  }

  struct ListRows {
    uint64_t events = 0;
    uint64_t purchases = 0;
  };
  ListRows list_rows(const Lists& l) {
    std::vector<rollup::Level> levels;
    for (const auto& [source, type] : types_)
      levels.push_back({source, std::string(*events::stage_of(source, type)), type});
    const int64_t step = rollup::grain_us(l.grain);
    ListRows rows;
    for (const auto& row : rollup::read_buckets(s_.conn(), {{l.grain, l.buckets.front(), l.buckets.back() + step}},
                                                levels, rollup::kCounts)) {
      rows.events += static_cast<uint64_t>(row.data.totals.events);
      rows.purchases += static_cast<uint64_t>(row.data.totals.purchases);
    }
    return rows;
  }

  std::optional<std::vector<std::pair<Pair, Figures>>> search(int depth) {
    const Lists l = lists();
    std::vector<std::string> sources, types, buckets;
    for (int64_t b : l.buckets)
      for (const auto& [source, type] : types_) {
        sources.push_back(source);
        types.push_back(type);
        buckets.push_back(ts(b));
      }
    const std::string measure = by_revenue_ ? "revenue" : "events";
    pg::Result r = s_.conn().exec_params(
        "SELECT l.idx, t.user_id, t.events, t.revenue::text"
        " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS l(source, event_type, bucket, idx)"
        " CROSS JOIN LATERAL (SELECT user_id, events, revenue FROM rollup_user_totals u"
        " WHERE u.grain = $4::int2 AND u.source = l.source AND u.event_type = l.event_type AND u.bucket = l.bucket" +
            std::string(by_revenue_ ? " AND u.revenue > 0" : "") + " ORDER BY u." + measure + " DESC LIMIT $5::int) t",
        {pg::array_literal(sources), pg::array_literal(types), pg::array_literal(buckets),
         std::to_string(static_cast<int>(l.grain)), std::to_string(depth)});

    // Per list: entries read, and the value at its depth (what an unseen user has at most there).
    const std::size_t n_lists = sources.size();
    std::vector<int> read(n_lists, 0);
    std::vector<Money> last(n_lists, 0);
    std::map<Pair, std::map<std::size_t, Money>> seen;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const auto list = static_cast<std::size_t>(std::stoll(std::string(pg::text(r.get(), i, 0)))) - 1;
      Figures f{std::stoll(std::string(pg::text(r.get(), i, 2))), *rollup::parse_money(pg::text(r.get(), i, 3))};
      const Money v = score(f);
      seen[{std::string(pg::text(r.get(), i, 1)), sources[list]}][list] = v;
      ++read[list];
      last[list] = v;
    }
    // Every list read to its end: the rows read are all there are, so aggregating them all is as cheap.
    if (std::all_of(read.begin(), read.end(), [depth](int n) { return n < depth; })) {
      aggregate_all_ = true;
      return std::nullopt;
    }
    std::map<std::string, Money> bound;  // per source: the most an unseen (user, source) has folded in W+
    for (std::size_t i = 0; i < n_lists; ++i)
      if (read[i] >= depth) bound[sources[i]] += last[i];
    Money unseen_bound = 0;
    for (const auto& [source, b] : bound) unseen_bound = std::max(unseen_bound, b);
    std::map<std::string, std::size_t> per_source;
    for (const auto& source : sources) ++per_source[source];
    std::size_t lists_per_source = 0;
    for (const auto& [source, n] : per_source) lists_per_source = std::max(lists_per_source, n);

    // Upper bounds of everyone seen or unfolded: seen values, the depth value for lists not seen in.
    std::map<Pair, Money> upper;
    auto folded_upper = [&](const Pair& p, const std::map<std::size_t, Money>* values) {
      Money u = 0;
      for (std::size_t i = 0; i < n_lists; ++i) {
        if (sources[i] != p.source) continue;
        if (values) {
          const auto it = values->find(i);
          if (it != values->end()) {
            u += it->second;
            continue;
          }
        }
        if (read[i] >= depth) u += last[i];
      }
      return u;
    };
    for (const auto& [p, values] : seen) upper[p] = folded_upper(p, &values);
    for (const auto& [p, f] : unfolded_) {
      const auto it = seen.find(p);
      upper[p] = (it != seen.end() ? upper[p] : folded_upper(p, nullptr)) + score(f);
    }
    std::vector<std::pair<Pair, Money>> order(upper.begin(), upper.end());
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });

    std::vector<std::pair<Pair, Figures>> exact;
    std::size_t computed = 0;
    for (std::size_t batch = std::max<std::size_t>(2 * limit_, 32);; batch *= 2) {
      std::vector<Pair> next;
      for (; computed < order.size() && next.size() < batch; ++computed) next.push_back(order[computed].first);
      for (auto& e : exact_figures(next)) exact.push_back(std::move(e));
      std::sort(exact.begin(), exact.end(), [this](const auto& a, const auto& b) { return before(a, b); });
      while (!exact.empty() && score(exact.back().second) == 0 && exact.back().second.events == 0) exact.pop_back();
      if (by_revenue_)  // zero-revenue users rank by events among themselves: not what the lists order by
        while (!exact.empty() && exact.back().second.revenue == 0) exact.pop_back();
      const Money rest = computed < order.size() ? order[computed].second : 0;
      const bool full = exact.size() >= limit_;
      const Money nth = full ? score(exact[limit_ - 1].second) : 0;
      if (full && nth > unseen_bound && nth > rest) break;                       // nobody else can reach the top N
      if (full && nth <= unseen_bound) {
        // Only reading deeper lowers the bound, and while a list is not read to its end it adds at
        // least one event: when the N-th total is not above the number of lists, no depth short of
        // reading them all can decide. Sum every user then (short windows: flat hourly lists).
        if (!by_revenue_ && nth <= static_cast<Money>(lists_per_source)) aggregate_all_ = true;
        return std::nullopt;
      }
      if (!full && unseen_bound == 0 && computed == order.size()) {              // everyone with events is known
        if (by_revenue_ && exact.size() < limit_) {  // zero-revenue users fill the rest, ranked by events
          aggregate_all_ = true;
          return std::nullopt;
        }
        break;
      }
      if (computed == order.size()) return std::nullopt;  // read deeper
    }
    if (exact.size() > limit_) exact.resize(limit_);
    return exact;
  }

  // Exact figures over the window of these (user, source) pairs.
  std::vector<std::pair<Pair, Figures>> exact_figures(const std::vector<Pair>& pairs) {
    std::map<Pair, Figures> out;
    if (pairs.empty()) return {};
    std::vector<std::string> users, sources;
    for (const auto& p : pairs) {
      users.push_back(p.user_id);
      sources.push_back(p.source);
      out[p];
    }
    const auto c = rollup::cover(s_.from_us(), s_.to_us(), Grain::day, Grain::hour);
    if (!c.pieces.empty()) {
      std::vector<std::string> grains, froms, tos;
      for (const auto& piece : c.pieces) {
        grains.push_back(std::to_string(static_cast<int>(piece.grain)));
        froms.push_back(ts(piece.from_us));
        tos.push_back(ts(piece.to_us));
      }
      pg::Result r = s_.conn().exec_params(
          "SELECT c.user_id, c.source, u.event_type, sum(u.events)::int8, sum(u.revenue)::text"
          " FROM unnest($1::text[], $2::text[]) AS c(user_id, source)"
          " CROSS JOIN unnest($3::int2[], $4::timestamptz[], $5::timestamptz[]) AS p(grain, from_t, to_t)"
          " JOIN rollup_user_totals u ON u.user_id = c.user_id AND u.source = c.source AND u.grain = p.grain"
          " AND u.bucket >= p.from_t AND u.bucket < p.to_t GROUP BY c.user_id, c.source, u.event_type",
          {pg::array_literal(users), pg::array_literal(sources), pg::array_literal(grains), pg::array_literal(froms),
           pg::array_literal(tos)});
      for (int i = 0; i < PQntuples(r.get()); ++i) {
        if (!wanted(pg::text(r.get(), i, 1), pg::text(r.get(), i, 2))) continue;
        out[{std::string(pg::text(r.get(), i, 0)), std::string(pg::text(r.get(), i, 1))}] +=
            Figures{std::stoll(std::string(pg::text(r.get(), i, 3))), *rollup::parse_money(pg::text(r.get(), i, 4))};
      }
    }
    // Folded events of the edges shorter than an hour, and events not folded yet.
    const auto& edges = folded_edges(c.raw);
    for (auto& [p, f] : out) {
      if (const auto it = edges.find(p); it != edges.end()) f += it->second;
      if (const auto it = unfolded_.find(p); it != unfolded_.end()) f += it->second;
    }
    return {out.begin(), out.end()};
  }

  // Everyone's figures in the folded raw rows of the window's edges under an hour: read once per
  // request (each edge is one index range scan), then looked up for every batch of candidates.
  const std::map<Pair, Figures>& folded_edges(const std::vector<rollup::RawRange>& ranges) {
    if (edges_) return *edges_;
    edges_.emplace();
    for (const auto& raw : ranges) {
      rollup::RawRows rows;
      rollup::read_raw(s_.conn(), {},
                       "e.user_id IS NOT NULL AND e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz"
                       " AND (e.tx IS NULL OR e.tx < $3::xid8)",
                       {ts(raw.from_us), ts(raw.to_us), std::to_string(s_.state().folded_below)}, rows);
      for (const auto& e : rows.events)
        if (wanted(e.source, e.event_type))
          (*edges_)[{std::string(*e.user_id), std::string(e.source)}] += Figures{1, e.amount.value_or(0)};
    }
    return *edges_;
  }

  // The per-user rows of the filter's (source, type) pairs in the cover's day and hour pieces:
  // user_id, source, then `columns`; binary results (ints as int8, text as bytes).
  pg::Result rows_of_pieces(const rollup::Cover& c, std::string_view columns, std::string_view condition) {
    std::vector<std::string> f_sources, f_types, grains, froms, tos;
    for (const auto& [source, type] : types_) {
      f_sources.push_back(source);
      f_types.push_back(type);
    }
    for (const auto& piece : c.pieces) {
      grains.push_back(std::to_string(static_cast<int>(piece.grain)));
      froms.push_back(ts(piece.from_us));
      tos.push_back(ts(piece.to_us));
    }
    return s_.conn().exec_params(
        "SELECT u.user_id, u.source, " + std::string(columns) +
            " FROM unnest($1::text[], $2::text[]) AS f(source, event_type)"
            " CROSS JOIN unnest($3::int2[], $4::timestamptz[], $5::timestamptz[]) AS p(grain, from_t, to_t)"
            " JOIN rollup_user_totals u ON u.grain = p.grain AND u.source = f.source AND u.event_type = f.event_type"
            " AND u.bucket >= p.from_t AND u.bucket < p.to_t" + std::string(condition),
        {pg::array_literal(f_sources), pg::array_literal(f_types), pg::array_literal(grains), pg::array_literal(froms),
         pg::array_literal(tos)},
        pg::Connection::ResultFormat::binary);
  }

  // by=revenue over flat data: only the users with revenue can be in the top N (when there are N of
  // them), and their revenue comes from the revenue > 0 rows alone (a partial index; purchases are a
  // small share of the rows). The revenue of the N-th decides who can tie; those candidates get their
  // exact figures (events of every type of the filter, for the tie order). nullopt when fewer than N
  // users have revenue: zero-revenue users then fill the answer by events, from every row.
  std::optional<std::vector<std::pair<Pair, Figures>>> revenue_users_only() {
    std::map<Pair, Money> revenue;
    const auto c = rollup::cover(s_.from_us(), s_.to_us(), Grain::day, Grain::hour);
    if (!c.pieces.empty()) {
      pg::Result r = rows_of_pieces(c, "u.revenue::text", " AND u.revenue > 0");
      for (int i = 0, n = PQntuples(r.get()); i < n; ++i)
        revenue[{std::string(pg::text(r.get(), i, 0)), std::string(pg::text(r.get(), i, 1))}] +=
            *rollup::parse_money(pg::text(r.get(), i, 2));
    }
    for (const auto& [p, f] : folded_edges(c.raw))
      if (f.revenue != 0) revenue[p] += f.revenue;
    for (const auto& [p, f] : unfolded_)
      if (f.revenue != 0) revenue[p] += f.revenue;
    std::vector<Money> values;
    for (const auto& [p, v] : revenue)
      if (v > 0) values.push_back(v);
    if (values.size() < limit_) return std::nullopt;
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(limit_ - 1), values.end(),
                     std::greater<>());
    const Money nth = values[limit_ - 1];
    std::vector<Pair> candidates;
    for (const auto& [p, v] : revenue)
      if (v >= nth) candidates.push_back(p);
    auto exact = exact_figures(candidates);
    std::sort(exact.begin(), exact.end(), [this](const auto& a, const auto& b) { return before(a, b); });
    if (exact.size() > limit_) exact.resize(limit_);
    return exact;
  }

  // Every user of the window, summed in the database (one statement over the day and hour pieces),
  // plus the folded raw rows of the edges and the unfolded events.
  std::vector<std::pair<Pair, Figures>> everyone() {
    if (by_revenue_)
      if (auto answer = revenue_users_only()) return std::move(*answer);
    // Keyed by views into the results (kept alive here): no string copies per row.
    using Key = std::pair<std::string_view, std::string_view>;
    struct KeyHash {
      std::size_t operator()(const Key& k) const {
        return std::hash<std::string_view>{}(k.first) * 31 + std::hash<std::string_view>{}(k.second);
      }
    };
    std::unordered_map<Key, Figures, KeyHash> all;
    std::vector<pg::Result> results;
    std::vector<rollup::RawRows> raws;
    const auto c = rollup::cover(s_.from_us(), s_.to_us(), Grain::day, Grain::hour);
    if (!c.pieces.empty()) {
      // Rows, not sums: summing numeric per group in PostgreSQL costs more than reading the rows
      // (measured: 50 ms of hash aggregation for 23k rows); they are summed here.
      results.push_back(rows_of_pieces(c, "u.events, u.revenue::text", ""));
      const PGresult* r = results.back().get();
      const int n = PQntuples(r);
      all.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i)
        all[{pg::text(r, i, 0), pg::text(r, i, 1)}] += Figures{pg::binary_int(r, i, 2), *rollup::parse_money(pg::text(r, i, 3))};
    }
    for (const auto& raw : c.raw) {
      rollup::RawRows& rows = raws.emplace_back();
      rollup::read_raw(s_.conn(), {},
                       "e.user_id IS NOT NULL AND e.event_time >= $1::timestamptz AND e.event_time < $2::timestamptz"
                       " AND (e.tx IS NULL OR e.tx < $3::xid8)",
                       {ts(raw.from_us), ts(raw.to_us), std::to_string(s_.state().folded_below)}, rows);
      for (const auto& e : rows.events)
        if (wanted(e.source, e.event_type)) all[{*e.user_id, e.source}] += Figures{1, e.amount.value_or(0)};
    }
    for (const auto& [p, f] : unfolded_) all[{p.user_id, p.source}] += f;
    // The first N of the answer order, by pointer.
    std::vector<const std::pair<const Key, Figures>*> order;
    order.reserve(all.size());
    for (const auto& entry : all) order.push_back(&entry);
    const std::size_t n = std::min(limit_, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                      [this](const auto* a, const auto* b) {
                        if (score(a->second) != score(b->second)) return score(a->second) > score(b->second);
                        if (a->second.events != b->second.events) return a->second.events > b->second.events;
                        return a->first < b->first;
                      });
    std::vector<std::pair<Pair, Figures>> out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back({Pair{std::string(order[i]->first.first), std::string(order[i]->first.second)}, order[i]->second});
    return out;
  }

  Snapshot& s_;
  const QueryOptions& o_;
  bool by_revenue_;
  std::size_t limit_;
  std::set<std::pair<std::string, std::string>> types_;
  std::map<Pair, Figures> unfolded_;
  std::optional<std::map<Pair, Figures>> edges_;
  bool aggregate_all_ = false;  // the lists cannot decide this answer: aggregate every user
};

}  // namespace

std::string answer_users_top(Snapshot& s, const QueryOptions& o) {
  const auto rows = TopUsers(s, o).run();
  JsonWriter w;
  w.begin_object().key("users").begin_array();
  for (const auto& [p, f] : rows) {
    w.begin_object().field("userId", p.user_id).field("source", p.source).field("events", f.events);
    w.key("revenue").number_text(rollup::money_2dp(f.revenue));
    w.end_object();
  }
  w.end_array().end_object();
  return w.take();
}

}  // namespace eventhub::analytics
