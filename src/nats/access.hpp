#pragma once
// Private to src/nats: the cnats handles behind Connection and Message. Nothing outside this
// folder includes it, which is what keeps cnats calls inside eventhub::nats.

#include <eventhub/nats/connection.hpp>
#include <eventhub/nats/message.hpp>

namespace eventhub::nats::detail {

struct Access {
  static natsConnection* conn(const Connection& c) { return c.conn_; }
  static jsCtx* js(const Connection& c) { return c.js_; }
  static natsMsg* msg(const Message& m) { return m.msg_; }
  static Message adopt(natsMsg* m) { return Message(m); }
  // Gives the handle up (cnats takes it over, e.g. an async publish).
  static natsMsg* release(Message& m) {
    natsMsg* raw = m.msg_;
    m.msg_ = nullptr;
    return raw;
  }
};

// JetStream options every context of ours starts from (request wait 5 s).
void default_js_options(jsOptions& options);

}  // namespace eventhub::nats::detail
