#include <eventhub/rollup/user_set.hpp>

#include <stdexcept>

namespace eventhub::rollup {

void UserSet::serialize_to(std::string& out) const {
  if (bits_.isEmpty()) return;  // the empty set is stored as no bytes
  Roaring copy = bits_;
  copy.runOptimize();
  const std::size_t start = out.size();
  out.resize(start + copy.getSizeInBytes(true));
  const std::size_t written = copy.write(out.data() + start, true);
  out.resize(start + written);
}

std::string UserSet::serialize() const {
  std::string out;
  serialize_to(out);
  return out;
}

UserSet UserSet::deserialize(std::string_view bytes) {
  UserSet set;
  if (bytes.empty()) return set;
  // readSafe bounds every read by `bytes`; a size that disagrees means the value is not ours.
  if (roaring_bitmap_portable_deserialize_size(bytes.data(), bytes.size()) != bytes.size())
    throw std::runtime_error("rollup: not a portable roaring bitmap (" + std::to_string(bytes.size()) + " bytes)");
  set.bits_ = Roaring::readSafe(bytes.data(), bytes.size());
  return set;
}

}  // namespace eventhub::rollup
