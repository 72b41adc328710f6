#include <eventhub/ingest/batch.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>

namespace eventhub::ingest {

namespace json = boost::json;

namespace {

// Compact serialization into a reused buffer (one allocation per event: the payload itself).
void serialize_into(json::serializer& sr, const json::value& v, std::string& out) {
  out.clear();
  sr.reset(&v);
  char buf[4096];
  while (!sr.done()) {
    const auto piece = sr.read(buf, sizeof buf);
    out.append(piece.data(), piece.size());
  }
}

std::string source_label(const json::value& v) {
  if (const auto* o = v.if_object()) {
    if (const auto* s = o->if_contains("source"); s != nullptr && s->is_string()) {
      if (s->get_string() == "facebook") return "facebook";
      if (s->get_string() == "tiktok") return "tiktok";
    }
  }
  return "unknown";
}

void prepare_one(const json::value& v, std::size_t index, const PrepareOptions& options, json::serializer& sr,
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
  OutgoingEvent e;
  e.index = index;
  e.event_id = std::string(o.at("eventId").get_string());
  e.source = std::string(o.at("source").get_string());
  e.subject.reserve(options.subject_prefix.size() + 20);
  e.subject = options.subject_prefix;
  e.subject += '.';
  e.subject += events::subject_suffix(o);
  serialize_into(sr, v, e.payload);
  out.valid.push_back(std::move(e));
}

}  // namespace

PreparedBody prepare_body(std::string_view text, const PrepareOptions& options) {
  PreparedBody out;
  auto parsed = events::parse_strict(text, options.limits);
  if (!parsed.value) {
    out.problem = BodyProblem::invalid_json;
    out.message = "body is not valid JSON: " + parsed.error;
    return out;
  }
  json::serializer sr;
  const json::value& root = *parsed.value;
  if (root.is_object()) {
    out.total = 1;
    prepare_one(root, 0, options, sr, out);
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
  for (std::size_t i = 0; i < arr.size(); ++i) prepare_one(arr[i], i, options, sr, out);
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
