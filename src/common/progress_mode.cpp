#include <eventhub/common/progress_mode.hpp>

namespace eventhub::common {

ProgressMode resolve_progress_mode(std::string_view configured, bool stderr_is_tty) {
  if (configured == "none") return ProgressMode::none;
  if (configured == "tty") return ProgressMode::tty;
  if (configured == "plain") return ProgressMode::plain;
  return stderr_is_tty ? ProgressMode::tty : ProgressMode::plain;
}

}  // namespace eventhub::common
