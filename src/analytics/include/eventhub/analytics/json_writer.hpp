#pragma once
// Writes one JSON document: objects, arrays, strings (escaped by Boost.JSON), integers, and
// decimal numbers given as text. Not Boost.JSON's value tree: that prints 12.30 as 1.23E1, and
// money must leave as the exact decimal "12.30" (CONTRACT.md: a number rounded to 2 decimals).
// Commas are placed by the writer; a value type used on one thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::analytics {

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& null();
  // A number already in JSON syntax (e.g. "12.30" or "0.333333").
  JsonWriter& number_text(std::string_view digits);

  // key + value in one call.
  template <class T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

  void reserve(std::size_t bytes) { out_.reserve(bytes); }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace eventhub::analytics
