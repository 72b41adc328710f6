#include <eventhub/common/log.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace eventhub::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::info)};
std::atomic<bool> g_json{false};
std::mutex g_write_mutex;

const char* level_name(Level l) {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

void append_escaped(std::string& out, std::string_view s, bool json) {
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, json ? "\\u%04x" : "\\x%02x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}
}  // namespace

Level parse_level(std::string_view level) {
  if (level == "trace") return Level::trace;
  if (level == "debug") return Level::debug;
  if (level == "info") return Level::info;
  if (level == "warn" || level == "warning") return Level::warn;
  if (level == "error") return Level::error;
  throw std::invalid_argument("unknown log level '" + std::string(level) + "'");
}

void configure(std::string_view level, std::string_view format) {
  g_level = static_cast<int>(parse_level(level));
  if (format != "text" && format != "json")
    throw std::invalid_argument("unknown log format '" + std::string(format) + "'");
  g_json = format == "json";
}

bool enabled(Level level) { return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed); }

namespace detail {
void write(Level level, std::string_view msg, const Field* fields, std::size_t count) {
  std::string line;
  line.reserve(128);
  if (g_json) {
    line += "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) + "\",\"msg\":\"";
    append_escaped(line, msg, true);
    line += '"';
    for (std::size_t i = 0; i < count; ++i) {
      line += ",\"";
      append_escaped(line, fields[i].key, true);
      line += "\":";
      if (fields[i].quoted) {
        line += '"';
        append_escaped(line, fields[i].value, true);
        line += '"';
      } else {
        line += fields[i].value;
      }
    }
    line += "}\n";
  } else {
    line += "ts=" + timestamp() + " level=" + level_name(level) + " msg=\"";
    append_escaped(line, msg, false);
    line += '"';
    for (std::size_t i = 0; i < count; ++i) {
      line += ' ';
      line += fields[i].key;
      line += '=';
      const bool quote = fields[i].quoted && (fields[i].value.empty() ||
                                              fields[i].value.find_first_of(" \"=\t\n") != std::string::npos);
      if (quote) line += '"';
      append_escaped(line, fields[i].value, false);
      if (quote) line += '"';
    }
    line += '\n';
  }
  std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}
}  // namespace detail

}  // namespace eventhub::log
