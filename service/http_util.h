// Helpers of mer serve's HTTP routes (service/*_routes.cc): JSON answers
// and errors, strict parsing of request fields, percent-encoding. Private
// to service/. A handler throws HttpError; Guard() turns it into
// {"error": "..."} with its status.
#ifndef MER_SERVICE_HTTP_UTIL_H_
#define MER_SERVICE_HTTP_UTIL_H_

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/emotion.h"
#include "common/core/result.h"

namespace mer::service::http {

using nlohmann::json;

constexpr size_t kMaxLimit = 1000;

// A request error: the HTTP status and the message.
struct HttpError {
  int status;
  std::string message;
};

inline void SendJson(httplib::Response& res, const json& j, int status = 200) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

inline void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, {{"error", message}}, status);
}

inline int StatusOf(const core::Status& s) {
  switch (s.code()) {
    case core::Status::Code::kNotFound:
      return 404;
    case core::Status::Code::kInvalidArgument:
      return 400;
    default:
      return 500;
  }
}

// Percent-encodes a track id for a URL path segment.
inline std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

inline std::string AudioUrl(const std::string& id) {
  return "/api/v1/tracks/" + UrlEncode(id) + "/audio";
}

inline std::string Title(const std::string& path_or_id) {
  return std::filesystem::path(path_or_id).filename().string();
}

inline std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// ---- request parsing ----

inline json ParseBody(const httplib::Request& req) {
  if (req.body.empty()) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw HttpError{400, "the body is not valid JSON"};
  if (!j.is_object()) throw HttpError{400, "the body must be a JSON object"};
  return j;
}

inline float Number(const json& j, const std::string& what) {
  if (!j.is_number()) throw HttpError{400, what + " must be a number"};
  const double x = j.get<double>();
  if (!std::isfinite(x)) throw HttpError{400, what + " must be finite"};
  return static_cast<float>(x);
}

inline std::pair<float, float> Range(const json& j, const std::string& what) {
  if (!j.is_array() || j.size() != 2) {
    throw HttpError{400, what + " must be [low, high]"};
  }
  return {Number(j[0], what), Number(j[1], what)};
}

inline std::string String(const json& j, const std::string& what) {
  if (!j.is_string() || j.get<std::string>().empty()) {
    throw HttpError{400, what + " must be a non-empty string"};
  }
  return j.get<std::string>();
}

inline std::vector<std::string> Strings(const json& j, const std::string& what) {
  if (j.is_string()) return {String(j, what)};
  if (!j.is_array()) throw HttpError{400, what + " must be a list of strings"};
  std::vector<std::string> out;
  for (const auto& x : j) out.push_back(String(x, what));
  return out;
}

inline core::Quadrant Mood(const json& j) {
  auto q = core::ParseQuadrant(String(j, "mood"));
  if (!q.ok()) {
    throw HttpError{400, "unknown mood '" + j.get<std::string>() +
                             "' (happy, tense, sad or calm)"};
  }
  return *q;
}

inline size_t Limit(const json& j, size_t dflt) {
  if (j.is_null()) return dflt;
  if (!j.is_number_integer() || j.get<long long>() < 1 ||
      j.get<long long>() > static_cast<long long>(kMaxLimit)) {
    throw HttpError{400, "limit must be an integer in 1.." + std::to_string(kMaxLimit)};
  }
  return j.get<size_t>();
}

inline size_t QueryLimit(const httplib::Request& req, const char* name, size_t dflt) {
  if (!req.has_param(name)) return dflt;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < 1 || v > static_cast<long>(kMaxLimit)) {
    throw HttpError{400, std::string(name) + " must be an integer in 1.." +
                             std::to_string(kMaxLimit)};
  }
  return static_cast<size_t>(v);
}

// Throws on keys the endpoint does not know (a typo would else be ignored).
inline void OnlyKeys(const json& j, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : j.items()) {
    if (std::none_of(known.begin(), known.end(),
                     [&](const char* k) { return key == k; })) {
      throw HttpError{400, "unknown field '" + key + "'"};
    }
  }
}

// Wraps a handler: HttpError and failed Statuses become JSON errors.
template <typename Fn>
httplib::Server::Handler Guard(Fn fn) {
  return [fn](const httplib::Request& req, httplib::Response& res) {
    try {
      fn(req, res);
    } catch (const HttpError& e) {
      SendError(res, e.status, e.message);
    }
  };
}

template <typename T>
T OrThrow(core::Result<T> r) {
  if (!r.ok()) throw HttpError{StatusOf(r.status()), r.status().message()};
  return std::move(*r);
}

}  // namespace mer::service::http

#endif  // MER_SERVICE_HTTP_UTIL_H_
