// JSON text that never throws on strings that are not UTF-8. nlohmann's dump() throws on them,
// and they come from outside: file names on Linux are any bytes, and a request path reached the
// server's 404 message (one request stopped `ferkit serve`: found by fuzz/, issue 19). Invalid
// bytes become U+FFFD.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace ferkit {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ferkit
