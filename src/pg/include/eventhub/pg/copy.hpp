#pragma once
// PostgreSQL text formats the project writes and reads: COPY ... FROM STDIN text rows, array
// literals for unnest() parameters, bytea in hex. Blocking COPY on the caller's thread (a worker or
// compactor thread, never an HTTP I/O thread).

#include <eventhub/pg/connection.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::pg {

// One COPY text-format field: backslash, tab, newline and carriage return escaped; nullopt is \N.
void append_copy_field(std::string& out, std::string_view value);
void append_copy_field(std::string& out, const std::optional<std::string>& value);
// A bytea field of a COPY row ("\\x" followed by hex digits).
void append_copy_bytea(std::string& out, std::string_view bytes);

// Runs `COPY <target> FROM STDIN` and streams the rows `write_rows` appends to its buffer (each
// row: tab-separated fields, newline-terminated); the buffer is sent whenever it passes 256 KiB,
// so a large batch never needs one huge libpq send buffer. Always reads every result; throws Error
// (the transaction is then aborted: the caller rolls back). `buffer` is reused between calls.
void copy_in(Connection& conn, const std::string& target,
             const std::function<void(std::string& buffer, const std::function<bool()>& flush)>& write_rows,
             std::string& buffer);

// '{"a","b"}': a text[] literal for an unnest($n::text[]) parameter (every element quoted).
std::string array_literal(const std::vector<std::string>& values);

// bytea as PostgreSQL prints it in text results ("\x0a1b…", hex output) to bytes.
std::string bytea_from_text(std::string_view text);

}  // namespace eventhub::pg
