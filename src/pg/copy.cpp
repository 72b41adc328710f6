#include <eventhub/pg/copy.hpp>

namespace eventhub::pg {

void append_copy_field(std::string& out, std::string_view value) {
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char* escape = nullptr;
    switch (value[i]) {
      case '\\': escape = "\\\\"; break;
      case '\t': escape = "\\t"; break;
      case '\n': escape = "\\n"; break;
      case '\r': escape = "\\r"; break;
      default: continue;
    }
    out.append(value.data() + plain, i - plain);
    out.append(escape);
    plain = i + 1;
  }
  out.append(value.data() + plain, value.size() - plain);
}

void append_copy_field(std::string& out, const std::optional<std::string>& value) {
  if (value) append_copy_field(out, std::string_view(*value));
  else out.append("\\N");
}

void append_copy_bytea(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\\\x");  // COPY unescapes "\\" to the "\" of bytea's hex input form
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
}

void copy_in(Connection& conn, const std::string& target,
             const std::function<void(std::string& buffer, const std::function<bool()>& flush)>& write_rows,
             std::string& buffer) {
  PGconn* raw = conn.raw();
  {
    Result start{PQexec(raw, ("COPY " + target + " FROM STDIN").c_str())};
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) throw conn.error_from(start.get(), "COPY start");
  }
  constexpr std::size_t kChunk = 256 * 1024;
  buffer.clear();
  bool ok = true;
  auto send = [&] {
    if (!ok) return false;
    if (!buffer.empty()) ok = PQputCopyData(raw, buffer.data(), static_cast<int>(buffer.size())) == 1;
    buffer.clear();
    return ok;
  };
  const std::function<bool()> flush = [&] { return buffer.size() < kChunk || send(); };
  write_rows(buffer, flush);
  send();
  // End the COPY (with an error message when sending failed) and always read every result.
  const int end = PQputCopyEnd(raw, ok ? nullptr : "eventhub: sending COPY data failed");
  std::optional<Error> error;
  while (PGresult* r = PQgetResult(raw)) {
    Result result{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !error) error = conn.error_from(r, "COPY");
  }
  if (error) throw *error;
  if (end != 1 || !ok) throw conn.error_from(nullptr, "COPY");
}

std::string array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string bytea_from_text(std::string_view text) {
  if (text.size() < 2 || text[0] != '\\' || text[1] != 'x' || text.size() % 2 != 0)
    throw Error("bytea value is not in hex format (bytea_output = hex expected)");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2 - 1);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    const int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) throw Error("bytea value has a non-hex digit");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace eventhub::pg
