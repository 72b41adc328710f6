#pragma once
// One structured logger for the process: `ts=… level=info msg="…" key=value …` or JSON lines.
// Thread-safe; a line is written with one call so lines never interleave. Never log per message
// on a hot path: count with a metric instead.

#include <atomic>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace eventhub::log {

enum class Level { trace = 0, debug, info, warn, error };

void configure(std::string_view level, std::string_view format);  // throws std::invalid_argument
Level parse_level(std::string_view level);                        // throws std::invalid_argument
bool enabled(Level level);

namespace detail {
struct Field {
  std::string key;
  std::string value;
  bool quoted;
};
void write(Level level, std::string_view msg, const Field* fields, std::size_t count);

template <class T>
Field make_field(std::string_view key, const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return {std::string(key), value ? "true" : "false", false};
  } else if constexpr (std::is_arithmetic_v<T>) {
    std::ostringstream os;
    os << value;
    return {std::string(key), os.str(), false};
  } else {
    std::ostringstream os;
    os << value;
    return {std::string(key), os.str(), true};
  }
}

template <class... Args, std::size_t... I>
void emit(Level level, std::string_view msg, std::index_sequence<I...>, const Args&... args) {
  static_assert(sizeof...(Args) % 2 == 0, "log fields come as key, value pairs");
  [[maybe_unused]] const auto tuple = std::forward_as_tuple(args...);
  Field fields[sizeof...(I) == 0 ? 1 : sizeof...(I)] = {
      make_field(std::get<2 * I>(tuple), std::get<2 * I + 1>(tuple))...};
  write(level, msg, fields, sizeof...(I));
}
}  // namespace detail

// log::info("listening", "port", 3001, "role", "ingest");
template <class... Args>
void at(Level level, std::string_view msg, const Args&... kv) {
  if (!enabled(level)) return;
  detail::emit(level, msg, std::make_index_sequence<sizeof...(Args) / 2>{}, kv...);
}
template <class... Args> void trace(std::string_view m, const Args&... kv) { at(Level::trace, m, kv...); }
template <class... Args> void debug(std::string_view m, const Args&... kv) { at(Level::debug, m, kv...); }
template <class... Args> void info(std::string_view m, const Args&... kv) { at(Level::info, m, kv...); }
template <class... Args> void warn(std::string_view m, const Args&... kv) { at(Level::warn, m, kv...); }
template <class... Args> void error(std::string_view m, const Args&... kv) { at(Level::error, m, kv...); }

}  // namespace eventhub::log
