#include <eventhub/rollup/store.hpp>

#include <eventhub/common/time.hpp>
#include <eventhub/events/vocabulary.hpp>
#include <eventhub/pg/copy.hpp>

#include <charconv>
#include <stdexcept>
#include <unordered_map>

namespace eventhub::rollup {

namespace {

std::string ts(int64_t unix_us) {
  return common::format_rfc3339(common::from_unix_us(unix_us), common::FractionDigits::micros);
}

int64_t int_at(const PGresult* r, int row, int col) {
  const std::string_view v = pg::text(r, row, col);
  int64_t out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) throw std::runtime_error("rollup: not an integer: " + std::string(v));
  return out;
}

uint64_t uint_at(const PGresult* r, int row, int col) {
  const std::string_view v = pg::text(r, row, col);
  uint64_t out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) throw std::runtime_error("rollup: not an integer: " + std::string(v));
  return out;
}

std::optional<int64_t> opt_int_at(const PGresult* r, int row, int col) {
  if (pg::is_null(r, row, col)) return std::nullopt;
  return int_at(r, row, col);
}

Money money_at(const PGresult* r, int row, int col) {
  const auto m = parse_money(pg::text(r, row, col));
  if (!m) throw std::runtime_error("rollup: not an amount: " + std::string(pg::text(r, row, col)));
  return *m;
}

Grain grain_at(const PGresult* r, int row, int col) {
  const int64_t g = int_at(r, row, col);
  if (g < 1 || g > 3) throw std::runtime_error("rollup: unknown grain " + std::to_string(g));
  return static_cast<Grain>(g);
}

std::string grain_text(Grain g) { return std::to_string(static_cast<int>(g)); }

struct LevelArrays {
  std::string sources, stages, types;
};
LevelArrays arrays_of(const std::vector<Level>& levels) {
  std::vector<std::string> s, st, t;
  for (const auto& l : levels) {
    s.push_back(l.source);
    st.push_back(l.funnel_stage);
    t.push_back(l.event_type);
  }
  return {pg::array_literal(s), pg::array_literal(st), pg::array_literal(t)};
}

constexpr const char* kBucketColumns =
    "grain, source, funnel_stage, event_type, bucket, events, purchases, revenue, users, countries, campaigns";

// The column list of a bucket row read with `columns` (placeholders keep the positions fixed).
std::string bucket_select(unsigned columns) {
  std::string s =
      "b.grain, (extract(epoch FROM b.bucket) * 1000000)::int8, b.source, b.funnel_stage, b.event_type, b.events,"
      " b.purchases, b.revenue::text, ";
  s += (columns & kUsers) ? "b.users, " : "NULL::bytea, ";
  s += (columns & kCountries) ? "b.countries, " : "NULL::bytea, ";
  s += (columns & kCampaigns) ? "b.campaigns" : "NULL::bytea";
  return s;
}

// A bucket row read in binary format (bucket_select's columns).
StoredRow row_at(const PGresult* r, int i) {
  StoredRow row;
  const int64_t g = pg::binary_int(r, i, 0);
  if (g < 1 || g > 3) throw std::runtime_error("rollup: unknown grain " + std::to_string(g));
  row.key.grain = static_cast<Grain>(g);
  row.key.bucket_us = pg::binary_int(r, i, 1);
  row.key.level = Level{std::string(pg::text(r, i, 2)), std::string(pg::text(r, i, 3)), std::string(pg::text(r, i, 4))};
  row.data.totals.events = pg::binary_int(r, i, 5);
  row.data.totals.purchases = pg::binary_int(r, i, 6);
  row.data.totals.revenue = money_at(r, i, 7);  // numeric sent as text (a text-typed column)
  if (!pg::is_null(r, i, 8)) row.data.users = UserSet::deserialize(pg::text(r, i, 8));
  if (!pg::is_null(r, i, 9)) row.data.countries = decode_countries(pg::text(r, i, 9));
  if (!pg::is_null(r, i, 10)) row.data.campaigns = decode_campaigns(pg::text(r, i, 10));
  return row;
}

std::vector<StoredRow> rows_of(const pg::Result& r) {
  std::vector<StoredRow> out;
  const int n = PQntuples(r.get());
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out.push_back(row_at(r.get(), i));
  return out;
}

// Every (source, event type) of the vocabulary, for per-user statements that enumerate index ranges.
std::pair<std::string, std::string> source_type_arrays() {
  std::vector<std::string> s, t;
  for (const auto& source : events::sources())
    for (const auto& stage : source.stages)
      for (auto type : stage.event_types) {
        s.emplace_back(source.name);
        t.emplace_back(type);
      }
  return {pg::array_literal(s), pg::array_literal(t)};
}

}  // namespace

std::optional<State> read_state(pg::Connection& conn) {
  {
    pg::Result exists = conn.exec_params("SELECT to_regclass('rollup_state') IS NOT NULL");
    if (pg::text(exists.get(), 0, 0) != "t") return std::nullopt;
  }
  pg::Result r = conn.exec_params(
      "SELECT folded_below::text, (extract(epoch FROM backfill_next) * 1000000)::int8,"
      " (extract(epoch FROM backfill_to) * 1000000)::int8, (extract(epoch FROM folded_at) * 1000000)::int8,"
      " (extract(epoch FROM hours_sealed_before) * 1000000)::int8, (extract(epoch FROM days_sealed_before) * 1000000)::int8,"
      " backfill_tx::text FROM rollup_state");
  if (PQntuples(r.get()) != 1) throw std::runtime_error("rollup: rollup_state must hold exactly one row");
  State s;
  s.folded_below = uint_at(r.get(), 0, 0);
  s.backfill_next_us = opt_int_at(r.get(), 0, 1);
  s.backfill_to_us = opt_int_at(r.get(), 0, 2);
  s.folded_at_us = int_at(r.get(), 0, 3);
  s.hours_sealed_before_us = int_at(r.get(), 0, 4);
  s.days_sealed_before_us = int_at(r.get(), 0, 5);
  if (!pg::is_null(r.get(), 0, 6)) s.backfill_tx = uint_at(r.get(), 0, 6);
  if (!s.backfill_next_us || !s.backfill_to_us || *s.backfill_next_us > *s.backfill_to_us) {
    s.backfill_next_us.reset();
    s.backfill_to_us.reset();
    s.backfill_tx.reset();
  }
  return s;
}

void write_state(pg::Connection& conn, const State& s) {
  std::optional<std::string> next, to, tx;
  if (s.backfill_next_us && s.backfill_to_us) {
    next = ts(*s.backfill_next_us);
    to = ts(*s.backfill_to_us);
    if (s.backfill_tx) tx = std::to_string(*s.backfill_tx);
  }
  conn.exec_params(
      "UPDATE rollup_state SET folded_below = $1::xid8, backfill_next = $2::timestamptz, backfill_to = $3::timestamptz,"
      " backfill_tx = $4::xid8, hours_sealed_before = $5::timestamptz, days_sealed_before = $6::timestamptz,"
      " folded_at = now()",
      {std::to_string(s.folded_below), next, to, tx, ts(s.hours_sealed_before_us), ts(s.days_sealed_before_us)});
}

std::string folded_condition(const State& s, std::vector<std::optional<std::string>>& params) {
  auto bind = [&](std::string v, const char* type) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size()) + "::" + type;
  };
  const std::string wm = bind(std::to_string(s.folded_below), "xid8");
  if (s.backfill_done()) return "(e.tx IS NULL OR e.tx < " + wm + ")";
  const std::string next = bind(ts(*s.backfill_next_us), "timestamptz");
  if (!s.backfill_tx) return "((e.tx IS NULL AND e.event_time < " + next + ") OR e.tx < " + wm + ")";
  const std::string tx = bind(std::to_string(*s.backfill_tx), "xid8");
  return "(e.tx IS NULL OR (e.tx < " + wm + " AND e.tx <> " + tx + ") OR (e.tx = " + tx + " AND e.event_time < " + next +
         "))";
}

std::string backfill_condition(const State& s, std::vector<std::optional<std::string>>& params) {
  if (s.backfill_done()) return "false";
  if (!s.backfill_tx) return "e.tx IS NULL";
  params.push_back(std::to_string(*s.backfill_tx));
  return "e.tx = $" + std::to_string(params.size()) + "::xid8";
}

std::vector<Piece> sealed_pieces(const std::vector<Piece>& pieces, const State& state) {
  std::vector<Piece> out;
  std::vector<Piece> todo(pieces.rbegin(), pieces.rend());
  while (!todo.empty()) {
    const Piece p = todo.back();
    todo.pop_back();
    if (p.grain == Grain::minute) {
      out.push_back(p);
      continue;
    }
    const int64_t sealed_before = p.grain == Grain::hour ? state.hours_sealed_before_us : state.days_sealed_before_us;
    const Grain finer = p.grain == Grain::hour ? Grain::minute : Grain::hour;
    if (p.to_us <= sealed_before) {
      out.push_back(p);
    } else if (p.from_us >= sealed_before) {
      todo.push_back({finer, p.from_us, p.to_us});
    } else {  // sealed_before is aligned to the grain: split there
      out.push_back({p.grain, p.from_us, sealed_before});
      todo.push_back({finer, sealed_before, p.to_us});
    }
  }
  return out;
}

std::vector<Level> all_levels() {
  std::vector<Level> out{{"", "", ""}};
  for (auto stage : events::stage_names()) out.push_back({"", std::string(stage), ""});
  for (const auto& source : events::sources()) {
    out.push_back({std::string(source.name), "", ""});
    for (const auto& stage : source.stages) {
      out.push_back({std::string(source.name), std::string(stage.name), ""});
      for (auto type : stage.event_types) out.push_back({std::string(source.name), std::string(stage.name), std::string(type)});
    }
  }
  return out;
}

void read_raw(pg::Connection& conn, RawSelect select, const std::string& where,
              const std::vector<std::optional<std::string>>& params, RawRows& out, const std::string& suffix) {
  std::string sql =
      "SELECT (extract(epoch FROM e.event_time) * 1000000)::int8, e.source, e.funnel_stage, e.event_type, e.user_id,"
      " e.country, e.campaign_id, e.purchase_amount::text, ";
  // A lookup per row, not a join: raw reads are small, and a hash join would scan the dictionary.
  sql += select.with_ids ? "(SELECT d.id FROM rollup_user_ids d WHERE d.user_id = e.user_id), " : "NULL, ";
  sql += select.with_tx ? "e.tx::text" : "NULL";
  sql += " FROM events e";
  sql += " WHERE " + where + suffix;
  pg::Result r = conn.exec_params(sql, params);
  const PGresult* res = r.get();
  const int n = PQntuples(res);
  out.events.reserve(out.events.size() + static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    RawEvent e;
    e.time_us = int_at(res, i, 0);
    e.source = pg::text(res, i, 1);
    e.funnel_stage = pg::text(res, i, 2);
    e.event_type = pg::text(res, i, 3);
    if (!pg::is_null(res, i, 4)) e.user_id = pg::text(res, i, 4);
    if (!pg::is_null(res, i, 5)) e.country = pg::text(res, i, 5);
    if (!pg::is_null(res, i, 6)) e.campaign = pg::text(res, i, 6);
    if (!pg::is_null(res, i, 7)) e.amount = money_at(res, i, 7);
    if (!pg::is_null(res, i, 8)) e.user = static_cast<uint32_t>(int_at(res, i, 8));
    out.events.push_back(e);
    if (select.with_tx) out.tx.push_back(pg::is_null(res, i, 9) ? 0 : uint_at(res, i, 9));
  }
  out.results.push_back(std::move(r));
}

std::vector<StoredRow> read_buckets(pg::Connection& conn, const std::vector<BucketRange>& ranges,
                                    const std::vector<Level>& levels, unsigned columns) {
  if (ranges.empty() || levels.empty()) return {};
  const LevelArrays a = arrays_of(levels);
  std::vector<std::optional<std::string>> params{a.sources, a.stages, a.types};
  std::string sql;
  for (const auto& range : ranges) {
    if (!sql.empty()) sql += " UNION ALL ";
    const std::string g = "$" + std::to_string(params.size() + 1);
    const std::string from = "$" + std::to_string(params.size() + 2);
    const std::string to = "$" + std::to_string(params.size() + 3);
    params.push_back(grain_text(range.grain));
    params.push_back(ts(range.from_us));
    params.push_back(ts(range.to_us));
    sql += "SELECT " + bucket_select(columns) +
           " FROM unnest($1::text[], $2::text[], $3::text[]) AS l(source, funnel_stage, event_type)"
           " JOIN rollup_buckets b ON b.grain = " + g + "::int2 AND b.source = l.source AND b.funnel_stage = l.funnel_stage"
           " AND b.event_type = l.event_type AND b.bucket >= " + from + "::timestamptz AND b.bucket < " + to +
           "::timestamptz";
  }
  return rows_of(conn.exec_params(sql, params, pg::Connection::ResultFormat::binary));
}

std::vector<StoredRow> read_bucket_keys(pg::Connection& conn, const std::vector<BucketKey>& keys) {
  if (keys.empty()) return {};
  std::vector<std::string> g, s, st, t, b;
  for (const auto& k : keys) {
    g.push_back(grain_text(k.grain));
    s.push_back(k.level.source);
    st.push_back(k.level.funnel_stage);
    t.push_back(k.level.event_type);
    b.push_back(ts(k.bucket_us));
  }
  return rows_of(conn.exec_params(
      "SELECT " + bucket_select(kAllColumns) +
          " FROM unnest($1::int2[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])"
          " AS k(grain, source, funnel_stage, event_type, bucket)"
          " JOIN rollup_buckets b USING (grain, source, funnel_stage, event_type, bucket)",
      {pg::array_literal(g), pg::array_literal(s), pg::array_literal(st), pg::array_literal(t), pg::array_literal(b)},
      pg::Connection::ResultFormat::binary));
}

void create_staging_tables(pg::Connection& conn) {
  conn.exec(
      "CREATE TEMP TABLE IF NOT EXISTS rollup_stage_buckets (LIKE rollup_buckets) ON COMMIT DELETE ROWS;"
      "CREATE TEMP TABLE IF NOT EXISTS rollup_stage_users (LIKE rollup_user_totals) ON COMMIT DELETE ROWS");
}

void write_buckets(pg::Connection& conn, const std::map<BucketKey, BucketData>& rows, std::string& buffer) {
  if (rows.empty()) return;
  std::string blob;
  pg::copy_in(
      conn, std::string("rollup_stage_buckets (") + kBucketColumns + ")",
      [&](std::string& out, const std::function<bool()>& flush) {
        for (const auto& [key, data] : rows) {
          out += grain_text(key.grain);
          out += '\t';
          pg::append_copy_field(out, std::string_view(key.level.source));
          out += '\t';
          pg::append_copy_field(out, std::string_view(key.level.funnel_stage));
          out += '\t';
          pg::append_copy_field(out, std::string_view(key.level.event_type));
          out += '\t';
          out += ts(key.bucket_us);
          out += '\t';
          out += std::to_string(data.totals.events);
          out += '\t';
          out += std::to_string(data.totals.purchases);
          out += '\t';
          out += money_exact(data.totals.revenue);
          out += '\t';
          blob.clear();
          data.users.serialize_to(blob);
          pg::append_copy_bytea(out, blob);
          out += '\t';
          pg::append_copy_bytea(out, encode_countries(data.countries));
          out += '\t';
          pg::append_copy_bytea(out, encode_campaigns(data.campaigns));
          out += '\n';
          if (!flush()) return;
        }
      },
      buffer);
  conn.exec(std::string("INSERT INTO rollup_buckets (") + kBucketColumns + ") SELECT " + kBucketColumns +
            " FROM rollup_stage_buckets ORDER BY grain, source, funnel_stage, event_type, bucket"
            " ON CONFLICT (grain, source, funnel_stage, event_type, bucket) DO UPDATE SET events = EXCLUDED.events,"
            " purchases = EXCLUDED.purchases, revenue = EXCLUDED.revenue, users = EXCLUDED.users,"
            " countries = EXCLUDED.countries, campaigns = EXCLUDED.campaigns");
}

void add_user_totals(pg::Connection& conn, const std::map<UserKey, UserTotals>& deltas, std::string& buffer) {
  if (deltas.empty()) return;
  constexpr const char* kColumns = "user_id, source, grain, bucket, event_type, events, revenue";
  pg::copy_in(
      conn, std::string("rollup_stage_users (") + kColumns + ")",
      [&](std::string& out, const std::function<bool()>& flush) {
        for (const auto& [key, t] : deltas) {
          pg::append_copy_field(out, std::string_view(key.user_id));
          out += '\t';
          pg::append_copy_field(out, std::string_view(key.source));
          out += '\t';
          out += grain_text(key.grain);
          out += '\t';
          out += ts(key.bucket_us);
          out += '\t';
          pg::append_copy_field(out, std::string_view(key.event_type));
          out += '\t';
          out += std::to_string(t.events);
          out += '\t';
          out += money_exact(t.revenue);
          out += '\n';
          if (!flush()) return;
        }
      },
      buffer);
  conn.exec(std::string("INSERT INTO rollup_user_totals (") + kColumns + ") SELECT " + kColumns +
            " FROM rollup_stage_users ORDER BY user_id, source, grain, bucket, event_type"
            " ON CONFLICT (user_id, source, grain, bucket, event_type) DO UPDATE SET"
            " events = rollup_user_totals.events + EXCLUDED.events,"
            " revenue = rollup_user_totals.revenue + EXCLUDED.revenue");
}

std::vector<StoredRow> read_day_range(pg::Connection& conn, int64_t from_us, int64_t to_us) {
  std::vector<BucketRange> ranges;
  for (Grain g : kGrains) ranges.push_back({g, from_us, to_us});
  return read_buckets(conn, ranges, all_levels(), kAllColumns);
}

std::map<UserKey, UserTotals> read_user_totals_range(pg::Connection& conn, int64_t from_us, int64_t to_us) {
  const auto [sources, types] = source_type_arrays();
  pg::Result r = conn.exec_params(
      "SELECT u.user_id, u.source, u.grain, (extract(epoch FROM u.bucket) * 1000000)::int8, u.event_type, u.events,"
      " u.revenue::text FROM unnest($1::text[], $2::text[]) AS l(source, event_type), unnest('{2,3}'::int2[]) AS g(grain)"
      " JOIN LATERAL (SELECT * FROM rollup_user_totals t WHERE t.grain = g.grain AND t.source = l.source"
      " AND t.event_type = l.event_type AND t.bucket >= $3::timestamptz AND t.bucket < $4::timestamptz) u ON true",
      {sources, types, ts(from_us), ts(to_us)});
  std::map<UserKey, UserTotals> out;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    UserKey k{std::string(pg::text(r.get(), i, 0)), std::string(pg::text(r.get(), i, 1)), grain_at(r.get(), i, 2),
              int_at(r.get(), i, 3), std::string(pg::text(r.get(), i, 4))};
    out[k] += UserTotals{int_at(r.get(), i, 5), money_at(r.get(), i, 6)};
  }
  return out;
}

void delete_day_range(pg::Connection& conn, int64_t from_us, int64_t to_us) {
  const LevelArrays a = arrays_of(all_levels());
  conn.exec_params(
      "DELETE FROM rollup_buckets b USING unnest($1::text[], $2::text[], $3::text[]) AS l(source, funnel_stage, event_type),"
      " unnest('{1,2,3}'::int2[]) AS g(grain) WHERE b.grain = g.grain AND b.source = l.source"
      " AND b.funnel_stage = l.funnel_stage AND b.event_type = l.event_type"
      " AND b.bucket >= $4::timestamptz AND b.bucket < $5::timestamptz",
      {a.sources, a.stages, a.types, ts(from_us), ts(to_us)});
  const auto [sources, types] = source_type_arrays();
  conn.exec_params(
      "DELETE FROM rollup_user_totals t USING unnest($1::text[], $2::text[]) AS l(source, event_type),"
      " unnest('{2,3}'::int2[]) AS g(grain) WHERE t.grain = g.grain AND t.source = l.source"
      " AND t.event_type = l.event_type AND t.bucket >= $3::timestamptz AND t.bucket < $4::timestamptz",
      {sources, types, ts(from_us), ts(to_us)});
}

std::vector<uint32_t> assign_user_ids(pg::Connection& conn, const std::vector<std::string>& user_ids) {
  std::vector<uint32_t> out(user_ids.size());
  if (user_ids.empty()) return out;
  pg::Result r = conn.exec_params(
      "WITH wanted AS (SELECT DISTINCT unnest($1::text[]) AS user_id),"
      " added AS (INSERT INTO rollup_user_ids (user_id) SELECT w.user_id FROM wanted w"
      " WHERE NOT EXISTS (SELECT 1 FROM rollup_user_ids d WHERE d.user_id = w.user_id) ORDER BY w.user_id"
      " ON CONFLICT (user_id) DO NOTHING RETURNING user_id, id)"
      " SELECT user_id, id FROM added UNION ALL SELECT d.user_id, d.id FROM rollup_user_ids d JOIN wanted USING (user_id)",
      {pg::array_literal(user_ids)});
  std::unordered_map<std::string_view, uint32_t> ids;
  for (int i = 0; i < PQntuples(r.get()); ++i)
    ids.emplace(pg::text(r.get(), i, 0), static_cast<uint32_t>(int_at(r.get(), i, 1)));
  for (std::size_t i = 0; i < user_ids.size(); ++i) {
    const auto it = ids.find(user_ids[i]);
    if (it == ids.end()) throw std::runtime_error("rollup: no dictionary id for a user");
    out[i] = it->second;
  }
  return out;
}

}  // namespace eventhub::rollup
