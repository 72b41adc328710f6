#include <eventhub/rollup/window.hpp>

namespace eventhub::rollup {

namespace {

constexpr int64_t kMinuteUs = 60'000'000;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void cover_into(Cover& out, int64_t from, int64_t to, Grain grain, Grain finest) {
  if (from >= to) return;
  const int64_t start = ceil_to(grain, from);
  const int64_t end = floor_to(grain, to);
  const bool finer_left = grain != finest;
  const Grain finer = finer_left ? static_cast<Grain>(static_cast<int16_t>(grain) - 1) : grain;
  if (start < end) {
    out.pieces.push_back({grain, start, end});
    if (finer_left) {
      cover_into(out, from, start, finer, finest);
      cover_into(out, end, to, finer, finest);
    } else {
      if (from < start) out.raw.push_back({from, start});
      if (end < to) out.raw.push_back({end, to});
    }
  } else if (finer_left) {
    cover_into(out, from, to, finer, finest);
  } else if (from < end && end < to) {  // no whole bucket, but a boundary inside: two edges
    out.raw.push_back({from, end});
    out.raw.push_back({end, to});
  } else {
    out.raw.push_back({from, to});
  }
}

}  // namespace

int64_t grain_us(Grain g) {
  switch (g) {
    case Grain::minute: return kMinuteUs;
    case Grain::hour: return 60 * kMinuteUs;
    case Grain::day: return 24 * 60 * kMinuteUs;
  }
  return kMinuteUs;
}

std::string_view grain_name(Grain g) {
  switch (g) {
    case Grain::minute: return "minute";
    case Grain::hour: return "hour";
    case Grain::day: return "day";
  }
  return "minute";
}

int64_t floor_to(Grain g, int64_t unix_us) { return floor_div(unix_us, grain_us(g)) * grain_us(g); }

int64_t ceil_to(Grain g, int64_t unix_us) {
  const int64_t f = floor_to(g, unix_us);
  return f == unix_us ? f : f + grain_us(g);
}

Cover cover(int64_t from_us, int64_t to_us, Grain coarsest, Grain finest) {
  Cover out;
  cover_into(out, from_us, to_us, coarsest, finest);
  return out;
}

}  // namespace eventhub::rollup
