// Event schema of CONTRACT.md: strict parser, data-driven validation, row extraction.
// See include/eventhub/events/event.hpp and docs/ingest.md (validation rules).
#include <eventhub/events/event.hpp>

#include <eventhub/common/time.hpp>
#include <eventhub/events/vocabulary.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <span>

namespace eventhub::events {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Strict parsing
// ---------------------------------------------------------------------------------------------
namespace {

// Offset of the first byte that is not valid UTF-8 (overlong forms, surrogates, > U+10FFFF
// rejected), or npos.
std::size_t first_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else return i;
    if (i + len > n) return i;
    if (p[i + 1] < lo || p[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

struct StrictHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  // Keys of all open objects live in one arena (no allocation per object once warmed up):
  // `keys` holds (offset, length) into `key_arena`; a frame owns keys[first_key..].
  struct Frame {
    bool is_object = false;
    std::size_t index = 0;              // arrays: index of the next element
    std::size_t first_key = 0;          // objects: first entry of this frame in `keys`
    std::size_t arena_start = 0;        // objects: where this frame's keys start in `key_arena`
  };

  json::value_stack st;
  const ParseLimits& limits;
  std::vector<Frame> frames;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> keys;
  std::string key_arena;
  std::size_t depth = 0;
  std::size_t part_bytes = 0;           // accumulated bytes of the current string/key
  std::size_t key_start = 0;            // arena offset of the key being assembled
  bool number_is_integer = true;        // current number lexeme has no '.', 'e', 'E'
  std::string error;

  StrictHandler(const ParseLimits& l, const json::storage_ptr&) : limits(l) {}  // result storage: st.reset()

  std::string_view key_at(std::size_t i) const { return std::string_view(key_arena).substr(keys[i].first, keys[i].second); }

  std::string path() const {
    std::string out = "$";
    for (std::size_t d = 0; d < frames.size(); ++d) {
      const Frame& f = frames[d];
      if (f.is_object) {
        const std::size_t end = d + 1 < frames.size() ? frames[d + 1].first_key : keys.size();
        if (end > f.first_key) { out += '.'; out += key_at(end - 1); }
      } else {
        out += '[';
        out += std::to_string(f.index);
        out += ']';
      }
    }
    return out;
  }
  bool fail(std::string msg) {
    error = std::move(msg);
    return false;
  }
  // A value has been completed inside the current container.
  void value_done() {
    if (!frames.empty() && !frames.back().is_object) ++frames.back().index;
  }
  bool open(bool is_object) {
    if (++depth > limits.max_depth)
      return fail("nesting deeper than " + std::to_string(limits.max_depth) + " at " + path());
    frames.push_back(Frame{is_object, 0, keys.size(), key_arena.size()});
    return true;
  }
  void close() {
    --depth;
    const Frame& f = frames.back();
    keys.resize(f.first_key);
    key_arena.resize(f.arena_start);
    frames.pop_back();
    value_done();
  }
  bool check_string_part(std::string_view s, const char* what) {
    part_bytes += s.size();
    if (part_bytes > limits.max_string_bytes)
      return fail(std::string(what) + " longer than " + std::to_string(limits.max_string_bytes) + " bytes at " + path());
    if (std::memchr(s.data(), '\0', s.size()) != nullptr)
      return fail(std::string(what) + " contains \\u0000 at " + path());
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return open(true); }
  bool on_object_end(std::size_t n, json::error_code&) {
    st.push_object(n);
    close();
    return true;
  }
  bool on_array_begin(json::error_code&) { return open(false); }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    close();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    if (!check_string_part(s, "key")) return false;
    if (part_bytes == s.size()) key_start = key_arena.size();  // first part
    key_arena.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    if (!check_string_part(s, "key")) return false;
    if (part_bytes == s.size()) key_start = key_arena.size();  // single part
    part_bytes = 0;
    key_arena.append(s.data(), s.size());
    const auto offset = static_cast<std::uint32_t>(key_start);
    const auto length = static_cast<std::uint32_t>(key_arena.size() - key_start);
    const std::string_view key(key_arena.data() + offset, length);
    const Frame& f = frames.back();
    for (std::size_t i = f.first_key; i < keys.size(); ++i) {
      if (key_at(i) == key) {
        keys.emplace_back(offset, length);
        return fail("duplicate key \"" + std::string(key) + "\" at " + path());
      }
    }
    keys.emplace_back(offset, length);
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    if (!check_string_part(s, "string")) return false;
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    if (!check_string_part(s, "string")) return false;
    part_bytes = 0;
    st.push_string(s);
    value_done();
    return true;
  }
  void scan_number(std::string_view s) {
    for (char c : s)
      if (c == '.' || c == 'e' || c == 'E') number_is_integer = false;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    scan_number(s);
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number_is_integer = true;
    st.push_int64(i);
    value_done();
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number_is_integer = true;
    st.push_uint64(u);
    value_done();
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    scan_number(s);
    const bool integer_lexeme = number_is_integer;
    number_is_integer = true;
    if (integer_lexeme) return fail("integer out of 64-bit range at " + path());
    if (!std::isfinite(d)) return fail("number out of range at " + path());
    st.push_double(d);
    value_done();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    value_done();
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    value_done();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

ParseResult parse_strict(std::string_view text, const ParseLimits& limits) {
  return parse_strict(text, limits, {});
}

ParseResult parse_strict(std::string_view text, const ParseLimits& limits, json::storage_ptr storage) {
  ParseResult result;
  json::parse_options opts;
  opts.max_depth = limits.max_depth + 1;  // our own check reports first, with a path
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;
  json::basic_parser<StrictHandler> parser(opts, limits, storage);
  parser.handler().st.reset(storage);
  parser.handler().frames.reserve(limits.max_depth + 1);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    if (!parser.handler().error.empty()) {
      result.error = std::move(parser.handler().error);
    } else if (const auto bad = first_invalid_utf8(text); bad != std::string_view::npos && bad <= used + 4) {
      result.error = "invalid UTF-8 at byte " + std::to_string(bad);
    } else if (ec == json::error::too_deep) {
      result.error = "nesting deeper than " + std::to_string(limits.max_depth);
    } else if (ec == json::error::exponent_overflow) {
      result.error = "number out of range at byte " + std::to_string(used);
    } else {
      result.error = "invalid JSON at byte " + std::to_string(used) + ": " + ec.message();
    }
    return result;
  }
  result.value = parser.handler().st.release();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

bool is_decimal_amount(std::string_view s) {
  std::size_t i = 0;
  if (s.empty()) return false;
  if (s[0] == '0') {
    i = 1;
  } else {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == 0 || i > 14) return false;
  }
  if (i == s.size()) return true;
  if (s[i] != '.') return false;
  const std::size_t frac = s.size() - i - 1;
  if (frac < 1 || frac > 4) return false;
  for (std::size_t k = i + 1; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Schema tables (CONTRACT.md "Events")
// ---------------------------------------------------------------------------------------------
namespace {

enum class Type { kString, kNumber, kEnum, kDecimal, kObject };

using Names = std::span<const std::string_view>;

struct Field {
  std::string_view name;
  Type type;
  bool nullable = false;                          // null allowed; a nullable field may also be absent
  Names values = {};                              // kEnum
  double min = -HUGE_VAL, max = HUGE_VAL;         // kNumber
  bool integer = false;                           // kNumber: integer-valued
  std::span<const Field> fields = {};             // kObject
};
using Fields = std::span<const Field>;

constexpr Field str_field(std::string_view n, bool nullable = false) { return {n, Type::kString, nullable}; }
constexpr Field enum_field(std::string_view n, Names values) { return {n, Type::kEnum, false, values}; }
constexpr Field num_field(std::string_view n, double min, double max, bool integer = false) {
  return {n, Type::kNumber, false, {}, min, max, integer};
}
constexpr Field decimal_field(std::string_view n) { return {n, Type::kDecimal, true}; }
constexpr Field object_field(std::string_view n, Fields fields) {
  return {n, Type::kObject, false, {}, -HUGE_VAL, HUGE_VAL, false, fields};
}

struct Stage {
  std::string_view name;
  Names event_types;
  Fields engagement;
};

struct SourceSchema {
  std::string_view name;
  Fields user;
  Stage top;
  Stage bottom;
  Names country_path;  // from `data` to the field analytics calls the event's country
};

// --- facebook ---
constexpr std::string_view kFbGender[] = {"male", "female", "non-binary"};
constexpr std::string_view kFbReferrer[] = {"newsfeed", "marketplace", "groups"};
constexpr std::string_view kFbClickPosition[] = {"top_left", "bottom_right", "center"};
constexpr std::string_view kFbDevice[] = {"mobile", "desktop"};
constexpr std::string_view kFbBrowser[] = {"Chrome", "Firefox", "Safari"};
constexpr std::string_view kFbTopTypes[] = {"ad.view", "page.like", "comment", "video.view"};
constexpr std::string_view kFbBottomTypes[] = {"ad.click", "form.submission", "checkout.complete"};
constexpr Field kFbLocation[] = {str_field("country"), str_field("city")};
constexpr Field kFbUser[] = {
    str_field("userId"), str_field("name"), num_field("age", 0, 150, true), enum_field("gender", kFbGender),
    object_field("location", kFbLocation)};
constexpr Field kFbTop[] = {str_field("actionTime"), enum_field("referrer", kFbReferrer), str_field("videoId", true)};
constexpr Field kFbBottom[] = {
    str_field("adId"), str_field("campaignId"), enum_field("clickPosition", kFbClickPosition),
    enum_field("device", kFbDevice), enum_field("browser", kFbBrowser), decimal_field("purchaseAmount")};
constexpr std::string_view kFbCountryPath[] = {"user", "location", "country"};
constexpr SourceSchema kFacebook{"facebook", kFbUser, {"top", kFbTopTypes, kFbTop}, {"bottom", kFbBottomTypes, kFbBottom},
                                 kFbCountryPath};

// --- tiktok ---
constexpr std::string_view kTtDevice[] = {"Android", "iOS", "Desktop"};
constexpr std::string_view kTtTopTypes[] = {"video.view", "like", "share", "comment"};
constexpr std::string_view kTtBottomTypes[] = {"profile.visit", "purchase", "follow"};
constexpr Field kTtUser[] = {str_field("userId"), str_field("username"), num_field("followers", 0, HUGE_VAL)};
constexpr Field kTtTop[] = {
    num_field("watchTime", 0, HUGE_VAL), num_field("percentageWatched", 0, 100), enum_field("device", kTtDevice),
    str_field("country"), str_field("videoId")};
constexpr Field kTtBottom[] = {
    str_field("actionTime"), str_field("profileId", true), str_field("purchasedItem", true),
    decimal_field("purchaseAmount")};
constexpr std::string_view kTtCountryPath[] = {"engagement", "country"};
constexpr SourceSchema kTiktok{"tiktok", kTtUser, {"top", kTtTopTypes, kTtTop}, {"bottom", kTtBottomTypes, kTtBottom},
                               kTtCountryPath};

// Every source, in the order answers and label sets list them.
constexpr const SourceSchema* kSchemas[] = {&kFacebook, &kTiktok};

const SourceSchema* find_schema(std::string_view name) {
  for (const SourceSchema* schema : kSchemas)
    if (schema->name == name) return schema;
  return nullptr;
}

template <class List>
bool contains(const List& list, std::string_view v) {
  for (auto x : list)
    if (x == v) return true;
  return false;
}


std::string num(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

struct Checker {
  std::vector<ValidationIssue>& out;
  void add(std::string path, std::string reason, std::string_view kind) {
    out.push_back({std::move(path), std::move(reason), kind});
  }

  void check_fields(const json::object& obj, const std::string& prefix, Fields fields) {
    for (const Field& f : fields) {
      std::string path = prefix;
      path += '.';
      path += f.name;
      const json::value* v = obj.if_contains(json::string_view(f.name.data(), f.name.size()));
      if (v == nullptr) {
        if (!f.nullable) add(std::move(path), "required", "missing");
        continue;
      }
      if (v->is_null()) {
        if (!f.nullable) add(std::move(path), "must not be null", "type");
        continue;
      }
      check_value(*v, path, f);
    }
  }

  void check_value(const json::value& v, std::string& path, const Field& f) {
    switch (f.type) {
      case Type::kString:
        if (!v.is_string()) add(std::move(path), "expected string", "type");
        return;
      case Type::kEnum:
        if (!v.is_string()) {
          add(std::move(path), "expected string", "type");
        } else if (!contains(f.values, std::string_view(v.get_string()))) {
          add(std::move(path), "expected one of " + joined(f.values), "enum");
        }
        return;
      case Type::kDecimal:
        if (!v.is_string()) {
          add(std::move(path), "expected decimal string or null", "type");
        } else if (!is_decimal_amount(v.get_string())) {
          add(std::move(path), "expected decimal string like \"12.34\" (max 14 integer and 4 fraction digits)", "format");
        }
        return;
      case Type::kNumber: {
        if (!is_number(v)) {
          add(std::move(path), "expected number", "type");
          return;
        }
        const double d = v.to_number<double>();
        if (!std::isfinite(d) || d < f.min || d > f.max) {
          std::string range = f.max == HUGE_VAL ? ">= " + num(f.min) : num(f.min) + ".." + num(f.max);
          add(std::move(path), "out of range (" + range + ")", "range");
        } else if (f.integer && v.is_double() && std::floor(d) != d) {
          add(std::move(path), "expected integer", "type");
        }
        return;
      }
      case Type::kObject:
        if (!v.is_object()) {
          add(std::move(path), "expected object", "type");
          return;
        }
        check_fields(v.get_object(), path, f.fields);
        return;
    }
  }
};

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

const json::string* string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

constexpr std::string_view kKnownTopLevel[] = {"eventId", "timestamp", "source", "funnelStage", "eventType", "data"};

}  // namespace

std::vector<ValidationIssue> check_event(const json::value& event) {
  std::vector<ValidationIssue> issues;
  Checker c{issues};
  if (!event.is_object()) {
    c.add("event", "expected object", "type");
    return issues;
  }
  const json::object& o = event.get_object();

  auto string_or_issue = [&](std::string_view key) -> const json::string* {
    const json::value* v = o.if_contains(json::string_view(key.data(), key.size()));
    if (v == nullptr) {
      c.add(std::string(key), "required", "missing");
      return nullptr;
    }
    if (!v->is_string()) {
      c.add(std::string(key), "expected string", "type");
      return nullptr;
    }
    return &v->get_string();
  };

  if (const auto* id = string_or_issue("eventId")) {
    const std::size_t len = utf8_length(*id);
    if (len < 1 || len > 128) {
      c.add("eventId", "length must be 1..128 characters", "length");
    } else if (std::any_of(id->begin(), id->end(), [](char ch) {
                 return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f;
               })) {
      // It becomes the Nats-Msg-Id header: CR/LF would break the message framing.
      c.add("eventId", "must not contain control characters", "format");
    }
  }
  if (const auto* ts = string_or_issue("timestamp")) {
    if (!common::parse_rfc3339(std::string_view(*ts)))
      c.add("timestamp", "expected RFC 3339 date-time with offset (e.g. 2026-01-31T12:00:00Z)", "format");
  }
  const SourceSchema* schema = nullptr;
  if (const auto* src = string_or_issue("source")) {
    schema = find_schema(*src);
    if (schema == nullptr) c.add("source", "expected one of " + joined(source_names()), "enum");
  }
  const Stage* stage = nullptr;
  if (const auto* st = string_or_issue("funnelStage")) {
    if (!contains(stage_names(), std::string_view(*st)))
      c.add("funnelStage", "expected one of " + joined(stage_names()), "enum");
    else if (schema != nullptr) stage = *st == schema->top.name ? &schema->top : &schema->bottom;
  }
  if (const auto* et = string_or_issue("eventType")) {
    if (stage != nullptr && !contains(stage->event_types, std::string_view(*et)))
      c.add("eventType", "\"" + std::string(*et) + "\" is not a " + std::string(schema->name) + " " +
                             std::string(stage->name) + " event (expected one of " + joined(stage->event_types) + ")",
            "event_type");
  }

  const json::value* data = o.if_contains("data");
  if (data == nullptr) {
    c.add("data", "required", "missing");
    return issues;
  }
  if (!data->is_object()) {
    c.add("data", "expected object", "type");
    return issues;
  }
  const json::object& d = data->get_object();
  auto sub = [&](std::string_view key) -> const json::object* {
    std::string path = "data." + std::string(key);
    const json::value* v = d.if_contains(json::string_view(key.data(), key.size()));
    if (v == nullptr) {
      c.add(std::move(path), "required", "missing");
      return nullptr;
    }
    if (!v->is_object()) {
      c.add(std::move(path), "expected object", "type");
      return nullptr;
    }
    return &v->get_object();
  };
  const json::object* user = sub("user");
  const json::object* engagement = sub("engagement");
  if (schema != nullptr && user != nullptr) c.check_fields(*user, "data.user", schema->user);
  if (stage != nullptr && engagement != nullptr) c.check_fields(*engagement, "data.engagement", stage->engagement);
  return issues;
}

std::vector<std::string> validate_event(const json::value& event) {
  std::vector<std::string> out;
  for (auto& issue : check_event(event)) {
    std::string s = std::move(issue.path);
    s += ": ";
    s += issue.reason;
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Row extraction
// ---------------------------------------------------------------------------------------------
namespace {
std::string str(const json::object& o, std::string_view key) {
  const auto* s = string_field(o, key);
  return s != nullptr ? std::string(*s) : std::string();
}
std::optional<std::string> opt_str(const json::object* o, std::string_view key) {
  if (o == nullptr) return std::nullopt;
  const auto* s = string_field(*o, key);
  if (s == nullptr) return std::nullopt;
  return std::string(*s);
}
const json::object* obj(const json::object* o, std::string_view key) {
  if (o == nullptr) return nullptr;
  const json::value* v = o->if_contains(json::string_view(key.data(), key.size()));
  return v != nullptr && v->is_object() ? &v->get_object() : nullptr;
}
}  // namespace

EventRow to_row(const json::object& e) {
  EventRow row;
  row.event_id = str(e, "eventId");
  row.source = str(e, "source");
  row.funnel_stage = str(e, "funnelStage");
  row.event_type = str(e, "eventType");
  row.timestamp = str(e, "timestamp");
  const json::object* data = obj(&e, "data");
  const json::object* user = obj(data, "user");
  const json::object* engagement = obj(data, "engagement");
  row.user_id = opt_str(user, "userId");
  if (const SourceSchema* schema = find_schema(row.source); schema != nullptr && !schema->country_path.empty()) {
    const json::object* holder = data;
    for (std::size_t i = 0; i + 1 < schema->country_path.size(); ++i) holder = obj(holder, schema->country_path[i]);
    row.country = opt_str(holder, schema->country_path.back());
  }
  row.campaign_id = opt_str(engagement, "campaignId");
  row.purchase_amount = opt_str(engagement, "purchaseAmount");
  if (const json::value* dv = e.if_contains("data")) row.data_json = json::serialize(*dv);
  else row.data_json = "{}";
  json::object extra;
  for (const auto& kv : e) {
    if (!contains(kKnownTopLevel, std::string_view(kv.key()))) extra.emplace(kv.key(), kv.value());
  }
  if (!extra.empty()) row.extra_json = json::serialize(extra);
  return row;
}

std::string subject_suffix(const json::object& e) {
  std::string out = str(e, "source");
  out += '.';
  out += str(e, "funnelStage");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary (read from the schema table above)
// ---------------------------------------------------------------------------------------------
namespace {

struct VocabularyTables {
  std::vector<SourceVocabulary> sources;
  std::vector<std::string_view> source_names;
  std::vector<std::string_view> stage_names;
  std::vector<std::string_view> event_types;
};

const VocabularyTables& tables() {
  static const VocabularyTables t = [] {
    VocabularyTables v;
    for (const SourceSchema* schema : kSchemas) {
      v.source_names.push_back(schema->name);
      v.sources.push_back({schema->name,
                           {StageVocabulary{schema->top.name, schema->top.event_types},
                            StageVocabulary{schema->bottom.name, schema->bottom.event_types}}});
      for (const Stage* stage : {&schema->top, &schema->bottom}) {
        if (!contains(v.stage_names, stage->name)) v.stage_names.push_back(stage->name);
        for (auto type : stage->event_types)
          if (!contains(v.event_types, type)) v.event_types.push_back(type);
      }
    }
    return v;
  }();
  return t;
}

}  // namespace

std::span<const SourceVocabulary> sources() { return tables().sources; }
std::span<const std::string_view> source_names() { return tables().source_names; }
std::span<const std::string_view> stage_names() { return tables().stage_names; }
std::span<const std::string_view> event_type_names() { return tables().event_types; }

const SourceVocabulary* find_source(std::string_view source) {
  for (const auto& s : tables().sources)
    if (s.name == source) return &s;
  return nullptr;
}

std::optional<std::string_view> stage_of(std::string_view source, std::string_view event_type) {
  const SourceVocabulary* s = find_source(source);
  if (s == nullptr) return std::nullopt;
  for (const auto& stage : s->stages)
    if (contains(stage.event_types, event_type)) return stage.name;
  return std::nullopt;
}

std::string joined(std::span<const std::string_view> names, std::string_view separator) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += separator;
    out += n;
  }
  return out;
}

}  // namespace eventhub::events
