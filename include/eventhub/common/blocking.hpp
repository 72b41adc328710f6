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

template <class F>
net::awaitable<std::invoke_result_t<F&>> run_blocking(net::thread_pool& pool, F work) {
  using R = std::invoke_result_t<F&>;
  co_return co_await net::co_spawn(
      pool.get_executor(), [work = std::move(work)]() mutable -> net::awaitable<R> { co_return work(); },
      net::use_awaitable);
}

}  // namespace eventhub::common
