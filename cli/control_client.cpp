#include "cli/control_client.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace podnet::cli {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

Result<ControlResponse> control_get(const std::string& socket_path, const std::string& target) {
  using local = asio::local::stream_protocol;
  asio::io_context io;
  local::socket stream(io);
  beast::error_code ec;
  stream.connect(local::endpoint(socket_path), ec);
  if (ec)
    return make_error(Errc::unavailable,
                      fmt::format("cannot reach podnetd at {}: {} (is podnetd running? "
                                  "--socket or PODNET_SOCKET selects another)",
                                  socket_path, ec.message()));
  // Synchronous Beast calls ignore asio deadlines; kernel socket timeouts bound them instead.
  timeval tv{10, 0};
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "podnetd");
  req.set(http::field::user_agent, "podnetctl");
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec)
    return make_error(Errc::unavailable,
                      fmt::format("talking to podnetd at {}: {}", socket_path, ec.message()));
  return ControlResponse{res.result_int(), std::move(res.body())};
}

}  // namespace podnet::cli
