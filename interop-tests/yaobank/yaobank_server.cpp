// The seed's "Yet Another Online Bank" in one small binary for the yaobank lab:
//   --role database  GET /v2/keys?recursive=true answers etcd v2's JSON with the accounts (2379)
//   --role summary   GET / fetches the database's keys and answers the account summary (80)
//   --role customer  GET / fetches the summary and renders the balance page (80)
//   --role internet  GET / answers one line: the lab's stand-in for the outside world (80)
// Upstreams are named as Kubernetes services (`database`, `summary`) and resolved with
// getaddrinfo, so the pod's /etc/hosts (ip netns exec mounts /etc/netns/<pod>/hosts over it)
// decides where they are. Plain HTTP/1.0 on blocking sockets, a thread per connection: it
// serves a handful of curl requests, and an unreachable upstream must fail within seconds
// (a 502) rather than hang the page.
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace {

constexpr int kUpstreamTimeoutMs = 2000;

// The accounts, as the seed's etcd-backed database holds them.
nlohmann::json accounts() {
  auto account = [](const std::string& id, const std::string& name, double balance) {
    return nlohmann::json{{"key", "/accounts/" + id},
                          {"value", nlohmann::json{{"name", name}, {"balance", balance}}.dump()}};
  };
  return {{"action", "get"},
          {"node",
           {{"dir", true},
            {"nodes",
             {{{"key", "/accounts"},
               {"dir", true},
               {"nodes",
                {account("spike", "Spike Curtis", 2389.45),
                 account("casey", "Casey Davies", 5912.07)}}}}}}}};
}

std::string response(int code, const std::string& type, const std::string& body) {
  const char* reason = code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Gateway";
  return fmt::format(
      "HTTP/1.0 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      code, reason, type, body.size(), body);
}

bool send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

void set_timeouts(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// Connect with a deadline: a policy that drops the SYN must not stall the caller.
int connect_with_timeout(const addrinfo* ai, int ms) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) return -1;
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  if (::poll(&p, 1, ms) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
      err != 0) {
    ::close(fd);
    return -1;
  }
  int flags = 0;  // back to blocking, bounded by the socket timeouts
  ::ioctl(fd, FIONBIO, &flags);
  set_timeouts(fd, ms);
  return fd;
}

// GET http://host:port/path; the body on a 200, nothing otherwise.
std::optional<std::string> http_get(const std::string& host, int port, const std::string& path) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) {
    std::cerr << "resolve " << host << " failed\n";
    return std::nullopt;
  }
  int fd = connect_with_timeout(res, kUpstreamTimeoutMs);
  ::freeaddrinfo(res);
  if (fd < 0) {
    std::cerr << "connect " << host << ":" << port << " failed\n";
    return std::nullopt;
  }
  std::string reply;
  if (send_all(fd, fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\n\r\n", path, host))) {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto head_end = reply.find("\r\n\r\n");
  if (reply.rfind("HTTP/1.", 0) != 0 || reply.find(" 200 ") > 12 || head_end == std::string::npos)
    return std::nullopt;
  return reply.substr(head_end + 4);
}

// The first account of the database's answer: summary's "business logic".
std::string summary_body() {
  auto keys = http_get("database", 2379, "/v2/keys?recursive=true");
  if (!keys) return {};
  auto j = nlohmann::json::parse(*keys, nullptr, false);
  if (j.is_discarded()) return {};
  try {
    const auto& first = j.at("node").at("nodes").at(0).at("nodes").at(0);
    auto account = nlohmann::json::parse(first.at("value").get<std::string>());
    return account.dump();
  } catch (const nlohmann::json::exception&) {
    return {};
  }
}

std::string customer_page() {
  auto summary = http_get("summary", 80, "/");
  if (!summary) return {};
  auto j = nlohmann::json::parse(*summary, nullptr, false);
  if (j.is_discarded() || !j.contains("name") || !j.contains("balance")) return {};
  return fmt::format(
      "<html>\n  <head><title>YAO Bank</title></head>\n  <body>\n"
      "        <h1>Welcome to YAO Bank</h1>\n        <h2>Name: {}</h2>\n"
      "        <h2>Balance: {:.2f}</h2>\n"
      "        <p><a href=\"/logout\">Log Out >></a></p>\n  </body>\n</html>\n",
      j["name"].get<std::string>(), j["balance"].get<double>());
}

std::string handle(const std::string& role, const std::string& path) {
  if (role == "database") {
    if (path.rfind("/v2/keys", 0) != 0) return response(404, "text/plain", "not found\n");
    return response(200, "application/json", accounts().dump() + "\n");
  }
  if (path != "/") return response(404, "text/plain", "not found\n");
  if (role == "internet") return response(200, "text/plain", "hello from the internet\n");
  const std::string body = role == "summary" ? summary_body() : customer_page();
  if (body.empty()) return response(502, "text/plain", role + ": upstream unavailable\n");
  return response(200, role == "summary" ? "application/json" : "text/html", body);
}

void serve(int fd, const std::string& role) {
  set_timeouts(fd, 5000);
  std::string req;
  char buf[2048];
  while (req.find("\r\n\r\n") == std::string::npos && req.size() < 16384) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    req.append(buf, static_cast<std::size_t>(n));
  }
  // "GET /path HTTP/1.1": the path is the second word.
  const auto sp1 = req.find(' ');
  const auto sp2 = sp1 == std::string::npos ? sp1 : req.find(' ', sp1 + 1);
  if (req.rfind("GET ", 0) == 0 && sp2 != std::string::npos)
    send_all(fd, handle(role, req.substr(sp1 + 1, sp2 - sp1 - 1)));
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"yaobank: customer, summary and database of the seed's sample application"};
  std::string role;
  int port = 0;
  app.add_option("--role", role, "customer | summary | database | internet")
      ->required()
      ->check(CLI::IsMember({"customer", "summary", "database", "internet"}));
  app.add_option("--port", port, "listen port (default: 2379 for database, 80 otherwise)");
  CLI11_PARSE(app, argc, argv);
  if (port == 0) port = role == "database" ? 2379 : 80;

  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 64) != 0) {
    std::cerr << "yaobank " << role << ": cannot listen on " << port << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  std::cerr << "yaobank " << role << " listening on " << port << "\n";
  for (;;) {
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) continue;
    std::thread(serve, fd, role).detach();
  }
}
