#pragma once
// Time buckets of the rollups and the exact cover of an analytics window by them. Buckets are UTC
// minutes, hours and days ([start, start + length)); a window [from, to) is answered from the
// fewest whole buckets, coarsest first, plus raw rows for the edges no bucket of the finest grain
// fits in. Pure functions on Unix microseconds: any thread.

#include <cstdint>
#include <string_view>
#include <vector>

namespace eventhub::rollup {

// Stored as the smallint `grain` column of the rollup tables: keep the numbers.
enum class Grain : int16_t { minute = 1, hour = 2, day = 3 };
inline constexpr Grain kGrains[] = {Grain::minute, Grain::hour, Grain::day};  // finest first

int64_t grain_us(Grain g);
std::string_view grain_name(Grain g);  // "minute" | "hour" | "day"

int64_t floor_to(Grain g, int64_t unix_us);
int64_t ceil_to(Grain g, int64_t unix_us);

// Whole buckets of one grain: [from_us, to_us), both aligned to the grain.
struct Piece {
  Grain grain;
  int64_t from_us;
  int64_t to_us;
  friend bool operator==(const Piece&, const Piece&) = default;
};

// A stretch of time shorter than one bucket of the finest grain used, read from raw rows.
struct RawRange {
  int64_t from_us;
  int64_t to_us;
  friend bool operator==(const RawRange&, const RawRange&) = default;
};

struct Cover {
  std::vector<Piece> pieces;  // disjoint
  std::vector<RawRange> raw;  // disjoint, each shorter than one `finest` bucket
};

// The exact cover of [from_us, to_us) by buckets from `finest` up to `coarsest`: every instant of
// the window is in exactly one piece or one raw range, none outside it.
Cover cover(int64_t from_us, int64_t to_us, Grain coarsest = Grain::day, Grain finest = Grain::minute);

}  // namespace eventhub::rollup
