// Parsers of BIRD 2 text output: `show route all`, `show protocols all`, and the log lines
// BIRD writes for NOTIFICATIONs (it logs the description, not the numbers, so the numbers are
// recovered from BIRD's own table in proto/bgp/packets.c).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <regex>
#include <sstream>

#include "interop-tests/peers/bird_peer.hpp"

namespace podnet::interop {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string lookup(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? "" : it->second;
}

struct BirdError {
  int code, subcode;
  const char* text;
};

// BIRD 2.0.12, proto/bgp/packets.c: bgp_msg_table.
constexpr BirdError kBirdErrors[] = {
    {1, 0, "Invalid message header"},
    {1, 1, "Connection not synchronized"},
    {1, 2, "Bad message length"},
    {1, 3, "Bad message type"},
    {2, 0, "Invalid OPEN message"},
    {2, 1, "Unsupported version number"},
    {2, 2, "Bad peer AS"},
    {2, 3, "Bad BGP identifier"},
    {2, 4, "Unsupported optional parameter"},
    {2, 5, "Authentication failure"},
    {2, 6, "Unacceptable hold time"},
    {2, 7, "Required capability missing"},
    {2, 8, "No supported AFI/SAFI"},
    {2, 11, "Role mismatch"},
    {3, 0, "Invalid UPDATE message"},
    {3, 1, "Malformed attribute list"},
    {3, 2, "Unrecognized well-known attribute"},
    {3, 3, "Missing mandatory attribute"},
    {3, 4, "Invalid attribute flags"},
    {3, 5, "Invalid attribute length"},
    {3, 6, "Invalid ORIGIN attribute"},
    {3, 7, "AS routing loop"},
    {3, 8, "Invalid NEXT_HOP attribute"},
    {3, 9, "Optional attribute error"},
    {3, 10, "Invalid network field"},
    {3, 11, "Malformed AS_PATH"},
    {4, 0, "Hold timer expired"},
    {5, 0, "Finite state machine error"},
    {5, 1, "Unexpected message in OpenSent state"},
    {5, 2, "Unexpected message in OpenConfirm state"},
    {5, 3, "Unexpected message in Established state"},
    {6, 0, "Cease"},
    {6, 1, "Maximum number of prefixes reached"},
    {6, 2, "Administrative shutdown"},
    {6, 3, "Peer de-configured"},
    {6, 4, "Administrative reset"},
    {6, 5, "Connection rejected"},
    {6, 6, "Other configuration change"},
    {6, 7, "Connection collision resolution"},
    {6, 8, "Out of Resources"},
    {7, 0, "Invalid ROUTE-REFRESH message"},
    {7, 1, "Invalid ROUTE-REFRESH message length"},
};

bool decode_bird_error(const std::string& dsc, int& code, int& subcode) {
  // Longest match first: "Cease" is a prefix of nothing else, but be safe with data suffixes.
  const BirdError* best = nullptr;
  for (const auto& e : kBirdErrors) {
    size_t n = std::strlen(e.text);
    if (dsc.compare(0, n, e.text) == 0 && (dsc.size() == n || dsc[n] == ':') &&
        (!best || n > std::strlen(best->text)))
      best = &e;
  }
  if (best) {
    code = best->code;
    subcode = best->subcode;
    return true;
  }
  unsigned c = 0, s = 0;
  if (std::sscanf(dsc.c_str(), "Unknown error %u.%u", &c, &s) == 2) {
    code = static_cast<int>(c);
    subcode = static_cast<int>(s);
    return true;
  }
  return false;
}

void parse_bgp_attribute(RouteEntry& e, const std::string& key, const std::string& value) {
  if (key == "BGP.origin") {
    e.origin = value == "Incomplete" ? "incomplete" : value;
  } else if (key == "BGP.as_path") {
    std::istringstream in(value);
    std::string tok;
    while (in >> tok) {
      std::string digits;
      for (char c : tok)
        if (std::isdigit(static_cast<unsigned char>(c))) digits += c;
      if (!digits.empty()) e.as_path.push_back(static_cast<uint32_t>(std::stoul(digits)));
    }
  } else if (key == "BGP.next_hop") {
    std::istringstream in(value);  // IPv6: "global [link-local]"
    in >> e.next_hop;
  } else if (key == "BGP.med") {
    e.med = static_cast<uint32_t>(std::stoul(value));
  } else if (key == "BGP.local_pref") {
    e.local_pref = static_cast<uint32_t>(std::stoul(value));
  } else if (key == "BGP.community") {
    static const std::regex comm(R"(\((\d+),(\d+)\))");
    for (std::sregex_iterator it(value.begin(), value.end(), comm), end; it != end; ++it)
      e.communities.push_back((*it)[1].str() + ":" + (*it)[2].str());
    std::sort(e.communities.begin(), e.communities.end());
  }
}

}  // namespace

std::vector<RouteEntry> parse_bird_routes(
    const std::string& text, const std::map<std::string, std::string>& protocol_to_neighbor) {
  // A path starts with "<prefix> <type> [<proto> <time> [from X]] [*] (<pref>) ...", or the
  // same without the prefix for further paths of the same prefix; attributes follow indented.
  static const std::regex path_re(R"(^(\S+)?\s+(\w+)\s+\[(\S+)\s[^\]]*\]\s*(\*)?)");
  std::vector<RouteEntry> out;
  std::string prefix;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Table ", 0) == 0 || line.rfind("BIRD ", 0) == 0 || trim(line).empty()) continue;
    std::smatch m;
    if (line[0] != '\t' && std::regex_search(line, m, path_re)) {
      if (m[1].matched) prefix = m[1].str();
      RouteEntry e;
      e.prefix = prefix;
      e.best = m[4].matched;
      e.from = lookup(protocol_to_neighbor, m[3].str());
      out.push_back(std::move(e));
      continue;
    }
    if (out.empty()) continue;
    std::string t = trim(line);
    size_t colon = t.find(": ");
    if (t.rfind("BGP.", 0) == 0 && colon != std::string::npos) {
      try {
        parse_bgp_attribute(out.back(), t.substr(0, colon), trim(t.substr(colon + 2)));
      } catch (const std::exception&) {
        // A value we cannot read leaves the field empty; the test comparing it will say so.
      }
    }
  }
  return out;
}

std::vector<NeighborState> parse_bird_protocols(
    const std::string& text, const std::map<std::string, std::string>& protocol_to_neighbor,
    std::time_t now) {
  // Header line per protocol: "n0 BGP --- up 2026-11-27 18:54:11 Established".
  static const std::regex head_re(
      R"(^(\S+)\s+BGP\s+\S+\s+(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*(.*)$)");
  std::vector<NeighborState> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, head_re)) {
      NeighborState s;
      s.address = lookup(protocol_to_neighbor, m[1].str());
      if (s.address.empty()) s.address = m[1].str();
      std::string info = trim(m[4].str());
      s.state = info.empty() ? m[2].str() : info.substr(0, info.find(' '));
      s.established = m[2].str() == "up" && s.state == "Established";
      if (s.established) {
        std::tm tm{};
        if (strptime(m[3].str().c_str(), "%Y-%m-%d %H:%M:%S", &tm)) {
          tm.tm_isdst = -1;
          std::time_t since = std::mktime(&tm);
          if (since > 0 && now >= since) s.uptime = std::chrono::seconds(now - since);
        }
      }
      out.push_back(std::move(s));
      continue;
    }
    std::string t = trim(line);
    if (!out.empty() && t.rfind("BGP state:", 0) == 0) {
      out.back().state = trim(t.substr(10));
      out.back().established = out.back().state == "Established";
      if (!out.back().established) out.back().uptime = std::chrono::seconds(0);
    }
  }
  return out;
}

std::vector<LoggedNotification> parse_bird_log(
    const std::string& log, const std::map<std::string, std::string>& protocol_to_neighbor) {
  // "<RMT> n0: Received: Administrative shutdown" (and "Error: ..." for ones BIRD sent; BIRD
  // does not log Cease messages it sends itself).
  static const std::regex re(R"(<RMT> (\S+): (Received|Error): (.*)$)");
  std::vector<LoggedNotification> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, re)) continue;
    LoggedNotification n;
    if (!decode_bird_error(m[3].str(), n.code, n.subcode)) continue;
    n.received = m[2].str() == "Received";
    n.neighbor = lookup(protocol_to_neighbor, m[1].str());
    if (n.neighbor.empty()) n.neighbor = m[1].str();
    n.line = line;
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace podnet::interop
