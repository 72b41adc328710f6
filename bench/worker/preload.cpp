// Preloads the event stream for the worker benchmark: N realistic events (the `eventhub publish`
// generator, seeded) published straight to JetStream with async publishes, Nats-Msg-Id = eventId,
// subject events.<source>.<funnelStage>. Prints one JSON line with the count and the rate.
//
//   eventhub_bench_preload --nats-url nats://127.0.0.1:4222 --count 1000000 [--seed 1] [--first 0]

#include <eventhub/common/config.hpp>
#include <eventhub/events/event.hpp>
#include <eventhub/nats/async_publisher.hpp>
#include <eventhub/nats/connection.hpp>
#include <eventhub/publish/generator.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace eventhub;

int main(int argc, char** argv) {
  common::NatsConfig config;
  int64_t count = 1'000'000;
  int64_t first = 0;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--nats-url") config.url = argv[i + 1];
    else if (flag == "--count") count = std::atoll(argv[i + 1]);
    else if (flag == "--first") first = std::atoll(argv[i + 1]);
    else if (flag == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "preload: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    nats::Connection conn(config, "eventhub-bench-preload");
    nats::ensure_streams(conn, config);
    nats::AsyncPublisher::Options options;
    options.max_pending = 20'000;
    options.stall_wait = std::chrono::milliseconds(200);  // cnats' default
    nats::AsyncPublisher publisher(conn, options, [](const nats::AsyncAck&) {});

    publish::GeneratorOptions go;
    go.seed = seed;
    go.base_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    const publish::EventGenerator generator(go);
    const auto started = std::chrono::steady_clock::now();
    for (int64_t n = first; n < first + count; ++n) {
      const auto event = generator.generate(n);
      const auto value = boost::json::parse(event.json);
      const std::string subject = config.subject_prefix + "." + events::subject_suffix(value.as_object());
      const std::string id = generator.event_id(n);
      const nats::Status published =
          publisher.publish(nats::Message::create(subject, event.json), id.c_str(), std::chrono::milliseconds(0));
      if (!published.ok()) throw nats::Error("publish", published);
      if (n % 100'000 == 0 && n > first) std::fprintf(stderr, "preload: %lld published\n", static_cast<long long>(n - first));
    }
    const nats::Status completed = publisher.complete(std::chrono::milliseconds(60'000));
    if (!completed.ok()) throw nats::Error("waiting for PubAcks", completed);
    if (const auto pending = publisher.abandon_pending(); !pending.empty()) {
      std::fprintf(stderr, "preload: %zu publishes not acknowledged\n", pending.size());
      return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("{\"published\":%lld,\"seconds\":%.2f,\"eventsPerSecond\":%.0f}\n", static_cast<long long>(count),
                seconds, static_cast<double>(count) / seconds);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "preload: %s\n", e.what());
    return 1;
  }
}
