#include <eventhub/ingest/batch.hpp>

#include <eventhub/events/vocabulary.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

#include <algorithm>
#include <array>
#include <optional>

namespace eventhub::ingest {

namespace json = boost::json;

struct PreparedBody::Storage {
  explicit Storage(std::size_t initial) : resource(initial) {}
  json::monotonic_resource resource;
  std::optional<json::value> document;     // allocated from `resource`
  std::string payloads;                     // all payloads back to back
  std::vector<std::size_t> payload_ends;    // end offset of each valid event's payload
  std::vector<std::string> subjects;        // <prefix>.<source>.<stage> for each source and stage, in vocabulary order
};

PreparedBody::PreparedBody() = default;
PreparedBody::~PreparedBody() = default;
PreparedBody::PreparedBody(PreparedBody&&) noexcept = default;
PreparedBody& PreparedBody::operator=(PreparedBody&&) noexcept = default;

namespace {

// Compact serialization appended to `out`.
void serialize_append(json::serializer& sr, const json::value& v, std::string& out) {
  sr.reset(&v);
  while (!sr.done()) {
    const std::size_t old = out.size();
    if (out.capacity() - old < 512) out.reserve(std::max<std::size_t>(out.capacity() * 2, old + 4096));
    out.resize(out.capacity());
    const auto piece = sr.read(out.data() + old, out.size() - old);
    out.resize(old + piece.size());
  }
}

std::string_view view(const json::string& s) { return std::string_view(s.data(), s.size()); }

// The event's source when the vocabulary knows it, else "unknown" (a bounded metrics label).
std::string source_label(const json::value& v) {
  if (const auto* o = v.if_object()) {
    if (const auto* s = o->if_contains("source"); s != nullptr && s->is_string()) {
      if (const auto* known = events::find_source(view(s->get_string()))) return std::string(known->name);
    }
  }
  return "unknown";
}

// Position of (source, stage) in Storage::subjects; both are valid (the event passed validation).
std::size_t subject_index(std::string_view source, std::string_view stage) {
  const auto sources = events::sources();
  std::size_t s = 0;
  while (s < sources.size() && sources[s].name != source) ++s;
  const std::size_t t = sources[s].stages[0].name == stage ? 0 : 1;
  return 2 * s + t;
}

void prepare_one(const json::value& v, std::size_t index, json::serializer& sr,
                 PreparedBody& out) {
  auto issues = events::check_event(v);
  if (!issues.empty()) {
    RejectedEvent r;
    r.index = index;
    if (const auto* o = v.if_object()) {
      if (const auto* id = o->if_contains("eventId"); id != nullptr && id->is_string())
        r.event_id = std::string(id->get_string());
    }
    r.source = source_label(v);
    r.errors.reserve(issues.size());
    for (auto& issue : issues) {
      ++out.issue_kinds[std::string(issue.kind)];
      std::string s = std::move(issue.path);
      s += ": ";
      s += issue.reason;
      r.errors.push_back(std::move(s));
    }
    out.rejected.push_back(std::move(r));
    return;
  }
  const json::object& o = v.get_object();
  auto& st = *out.storage;
  OutgoingEvent e;
  e.index = index;
  e.event_id = view(o.at("eventId").get_string());  // json::string is NUL-terminated
  e.source = view(o.at("source").get_string());
  e.subject = st.subjects[subject_index(e.source, view(o.at("funnelStage").get_string()))];
  serialize_append(sr, v, st.payloads);
  st.payload_ends.push_back(st.payloads.size());
  out.valid.push_back(e);
}

}  // namespace

namespace {
// Views into the payload arena, fixed once it stops growing.
void finish(PreparedBody& out) {
  auto& st = *out.storage;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < out.valid.size(); ++i) {
    out.valid[i].payload = std::string_view(st.payloads).substr(begin, st.payload_ends[i] - begin);
    begin = st.payload_ends[i];
  }
}
}  // namespace

PreparedBody prepare_body(std::string_view text, const PrepareOptions& options) {
  PreparedBody out;
  // The parsed tree takes roughly 2-3x the text: start with 2x (at most 1 MiB; the resource grows
  // geometrically beyond), all freed at once with the request.
  out.storage = std::make_unique<PreparedBody::Storage>(std::clamp<std::size_t>(text.size() * 2, 1024, 1 << 20));
  auto& st = *out.storage;
  auto parsed = events::parse_strict(text, options.limits, json::storage_ptr(&st.resource));
  if (!parsed.value) {
    out.problem = BodyProblem::invalid_json;
    out.message = "body is not valid JSON: " + parsed.error;
    return out;
  }
  st.document.emplace(std::move(*parsed.value));  // move keeps the monotonic storage
  for (const auto& source : events::sources())
    for (const auto& stage : source.stages)
      st.subjects.push_back(options.subject_prefix + "." + std::string(source.name) + "." + std::string(stage.name));
  st.payloads.reserve(text.size() + 256);
  json::serializer sr;
  const json::value& root = *st.document;
  if (root.is_object()) {
    out.total = 1;
    prepare_one(root, 0, sr, out);
    finish(out);
    return out;
  }
  if (!root.is_array()) {
    out.problem = BodyProblem::not_object_or_array;
    out.message = "body must be an event object or a JSON array of events";
    return out;
  }
  const json::array& arr = root.get_array();
  out.batch = true;
  out.total = arr.size();
  if (arr.empty()) {
    out.problem = BodyProblem::empty_array;
    out.message = "batch is empty";
    return out;
  }
  if (arr.size() > options.max_batch_events) {
    out.problem = BodyProblem::too_many_events;
    out.message = "batch has " + std::to_string(arr.size()) + " events; the limit is " +
                  std::to_string(options.max_batch_events);
    return out;
  }
  out.valid.reserve(arr.size());
  st.payload_ends.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) prepare_one(arr[i], i, sr, out);
  finish(out);
  return out;
}

std::string render_result(std::size_t accepted, std::size_t duplicates, const std::vector<RejectedEvent>& rejected) {
  std::string body = "{\"accepted\":" + std::to_string(accepted) + ",\"duplicates\":" + std::to_string(duplicates) +
                     ",\"rejected\":[";
  bool first = true;
  for (const auto& r : rejected) {
    if (!first) body += ',';
    first = false;
    body += "{\"index\":";
    body += std::to_string(r.index);
    body += ",\"eventId\":";
    body += r.event_id ? json::serialize(json::string_view(*r.event_id)) : std::string("null");
    body += ",\"errors\":[";
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
      if (i) body += ',';
      body += json::serialize(json::string_view(r.errors[i]));
    }
    body += "]}";
  }
  body += "]}";
  return body;
}

}  // namespace eventhub::ingest
