// The web page's files, compiled into the binary from service/web/ (see
// service/embed_web.cmake).
#ifndef MER_SERVICE_WEB_ASSETS_H_
#define MER_SERVICE_WEB_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace mer::service {

struct WebAsset {
  std::string_view path;          // "/index.html", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view data;
};

// The asset served at `path` ("/" is "/index.html"); null when none.
const WebAsset* FindWebAsset(std::string_view path);

}  // namespace mer::service

#endif  // MER_SERVICE_WEB_ASSETS_H_
