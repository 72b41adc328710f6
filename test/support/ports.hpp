#pragma once
// Loopback ports for servers started by tests (never anything but 127.0.0.1).

#include <chrono>
#include <cstdint>

namespace eventhub::test {

// A port the kernel just handed out for 127.0.0.1 and that is closed again. Another process could
// take it before the server binds it; within this process the same port is not returned twice in a
// row of recent calls, so two fixtures started back to back never collide.
std::uint16_t free_port();

// True once a TCP connect to 127.0.0.1:port succeeds; false after `timeout`.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);
// True once connects to 127.0.0.1:port are refused (the server is gone); false after `timeout`.
bool wait_for_port_closed(std::uint16_t port, std::chrono::milliseconds timeout);
// One connect attempt.
bool port_accepts(std::uint16_t port);

}  // namespace eventhub::test
