#pragma once
// An exact set of users: the dense ids of the user dictionary (rollup_user_ids) in a roaring bitmap
// (CRoaring, Debian's libroaring-dev). Adding a user twice changes nothing, so a redelivered event
// can never inflate a count; unions and intersections of a week of buckets take microseconds.
// Stored as CRoaring's portable serialization (bytea). A value type: one thread at a time.

#include <roaring/roaring.hh>

#include <cstdint>
#include <string>
#include <string_view>

namespace eventhub::rollup {

class UserSet {
 public:
  void add(uint32_t id) { bits_.add(id); }
  bool contains(uint32_t id) const { return bits_.contains(id); }
  UserSet& operator|=(const UserSet& other) {
    bits_ |= other.bits_;
    return *this;
  }
  uint64_t size() const { return bits_.cardinality(); }
  bool empty() const { return bits_.isEmpty(); }
  uint64_t intersection_size(const UserSet& other) const { return bits_.and_cardinality(other.bits_); }
  friend bool operator==(const UserSet& a, const UserSet& b) { return a.bits_ == b.bits_; }

  // Portable serialization (run containers where they are smaller).
  std::string serialize() const;
  void serialize_to(std::string& out) const;
  // Throws std::runtime_error on bytes that are not a valid portable bitmap.
  static UserSet deserialize(std::string_view bytes);

 private:
  Roaring bits_;
};

}  // namespace eventhub::rollup
