#pragma once
// Runs blocking work (libpq, cnats fetch) on a bounded thread pool and resumes the awaiting
// coroutine on its own executor, so HTTP I/O threads never block.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace eventhub::common {

namespace net = boost::asio;

namespace detail {
// The work travels as a coroutine parameter (copied into the frame), never as a lambda capture:
// g++ 12 mishandles captures of coroutine lambdas, which crashed in free() on a captured vector.
template <class F>
net::awaitable<std::invoke_result_t<F&>> invoke_on_pool(F work) {
  co_return work();
}
}  // namespace detail

template <class F>
net::awaitable<std::invoke_result_t<F&>> run_blocking(net::thread_pool& pool, F work) {
  co_return co_await net::co_spawn(pool.get_executor(), detail::invoke_on_pool(std::move(work)), net::use_awaitable);
}

}  // namespace eventhub::common
