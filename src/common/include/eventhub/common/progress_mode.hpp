#pragma once
// How a command-line tool shows progress on stderr (--progress auto|tty|plain|none): one line
// redrawn in place on a terminal, a plain line every few seconds otherwise, or nothing.

#include <string_view>

namespace eventhub::common {

enum class ProgressMode { none, tty, plain };

// "auto" picks tty when stderr is a terminal, plain otherwise.
ProgressMode resolve_progress_mode(std::string_view configured, bool stderr_is_tty);

}  // namespace eventhub::common
