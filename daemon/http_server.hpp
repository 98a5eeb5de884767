// A small HTTP/1.1 server (Boost.Beast) on the daemon's io_context, for the control socket
// (Unix stream socket, mode 0600) and the health/metrics listener (TCP). Requests are answered
// by a synchronous handler on the loop thread: every answer is built from in-memory state, so
// nothing here blocks. Beast stays out of this header to keep the daemon's compile times sane.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "conf/result.hpp"

namespace boost::asio {
class io_context;
}

namespace podnet::daemon {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, "/v1/status"
  std::string body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // "127.0.0.1:9099"; port 0 picks a free port (see local_address()). IPv6 as "[::1]:9099".
  static Result<std::unique_ptr<HttpServer>> listen_tcp(boost::asio::io_context& io,
                                                        const std::string& host_port,
                                                        HttpHandler handler);
  // Creates the parent directory, refuses to steal a socket another live process listens on,
  // replaces a stale one, and sets the file mode. The file is removed on close().
  static Result<std::unique_ptr<HttpServer>> listen_unix(boost::asio::io_context& io,
                                                         const std::string& path, mode_t mode,
                                                         HttpHandler handler);
  virtual std::string local_address() const = 0;
  virtual void close() = 0;
};

}  // namespace podnet::daemon
