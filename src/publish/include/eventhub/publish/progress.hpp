#pragma once
// Progress of `eventhub publish` on stderr: on a terminal one line redrawn in place (bar, rate,
// accepted, errors); otherwise a plain line every few seconds; or nothing. Called from the
// publisher's single I/O thread only.

#include <eventhub/common/progress_mode.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace eventhub::publish {

using common::ProgressMode;
using common::resolve_progress_mode;

struct ProgressSnapshot {
  int64_t total = 0;
  int64_t sent = 0;
  int64_t accepted = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
  int64_t failed = 0;
  int64_t retries = 0;
  int64_t errors = 0;      // exchanges answered with a non-202/422 status or lost to a network error
  double elapsed_s = 0;
};

class ProgressDisplay {
 public:
  ProgressDisplay(ProgressMode mode, std::FILE* out);
  std::chrono::milliseconds interval() const;
  void update(const ProgressSnapshot& now);
  void finish(const ProgressSnapshot& now);  // last redraw and newline (tty), a last line (plain)
  // Prints a message without garbling the bar (clears the line first on a tty).
  void message(std::string_view text);

  // The text of one tty line / plain line; `rate` = events answered per second recently.
  static std::string tty_line(const ProgressSnapshot& s, double rate, int width);
  static std::string plain_line(const ProgressSnapshot& s, double rate);

 private:
  double recent_rate(const ProgressSnapshot& now);

  ProgressMode mode_;
  std::FILE* out_;
  int64_t last_done_ = 0;
  double last_elapsed_ = 0;
  double last_rate_ = 0;
};

}  // namespace eventhub::publish
