#include "cli/output.hpp"

#include <algorithm>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

namespace podnet::cli {

Result<Format> parse_format(const std::string& s) {
  if (s.empty() || s == "ps" || s == "table") return Format::table;
  if (s == "wide") return Format::wide;
  if (s == "yaml" || s == "yml") return Format::yaml;
  if (s == "json") return Format::json;
  return make_error(Errc::invalid,
                    fmt::format("unknown output format '{}' (use yaml, json or wide)", s));
}

namespace {

struct Column {
  const char* header;
  const char* pointer;  // JSON pointer into the document
  bool wide_only;
};

// calicoctl's columns for the kinds people look at most; every other kind shows its name.
const std::vector<Column>& columns_for(const std::string& kind) {
  static const std::vector<Column> none;
  static const std::vector<Column> ippool = {
      {"CIDR", "/spec/cidr", false},          {"SELECTOR", "/spec/nodeSelector", false},
      {"BLOCKSIZE", "/spec/blockSize", true}, {"IPIPMODE", "/spec/ipipMode", true},
      {"VXLANMODE", "/spec/vxlanMode", true}, {"NATOUTGOING", "/spec/natOutgoing", true},
      {"DISABLED", "/spec/disabled", true}};
  static const std::vector<Column> node = {{"ASN", "/spec/bgp/asNumber", true},
                                           {"IPV4", "/spec/bgp/ipv4Address", true},
                                           {"IPV6", "/spec/bgp/ipv6Address", true}};
  static const std::vector<Column> bgppeer = {{"PEERIP", "/spec/peerIP", false},
                                              {"NODE", "/spec/node", false},
                                              {"ASN", "/spec/asNumber", false}};
  static const std::vector<Column> hep = {{"NODE", "/spec/node", false},
                                          {"INTERFACE", "/spec/interfaceName", true}};
  static const std::vector<Column> policy = {{"ORDER", "/spec/order", true},
                                             {"SELECTOR", "/spec/selector", true}};
  static const std::vector<Column> block = {{"CIDR", "/spec/cidr", false},
                                            {"AFFINITY", "/spec/affinity", false}};
  if (kind == "IPPool") return ippool;
  if (kind == "Node") return node;
  if (kind == "BGPPeer") return bgppeer;
  if (kind == "HostEndpoint") return hep;
  if (kind == "GlobalNetworkPolicy") return policy;
  if (kind == "IPAMBlock") return block;
  return none;
}

std::string cell(const nlohmann::ordered_json& doc, const char* pointer) {
  nlohmann::ordered_json::json_pointer p(pointer);
  if (!doc.contains(p)) return "";
  const auto& v = doc.at(p);
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_table(std::ostream& out, const conf::KindInfo& kind,
                 const std::vector<conf::Resource>& items, bool wide, bool show_namespace) {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows(items.size());
  if (show_namespace) headers.push_back("NAMESPACE");
  headers.push_back("NAME");
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (show_namespace) rows[i].push_back(items[i].ns());
    rows[i].push_back(items[i].name());
  }
  for (const auto& c : columns_for(kind.kind)) {
    if (c.wide_only && !wide) continue;
    headers.push_back(c.header);
    for (std::size_t i = 0; i < items.size(); ++i) rows[i].push_back(cell(items[i].doc, c.pointer));
  }
  std::vector<std::size_t> width(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) {
    width[c] = headers[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      s += cells[c];
      if (c + 1 < cells.size()) s += std::string(width[c] - cells[c].size() + 3, ' ');
    }
    out << s << "\n";
  };
  line(headers);
  for (const auto& r : rows) line(r);
}

// Indents a block-style YAML document as one item of a sequence.
std::string as_list_item(std::string yaml) {
  if (yaml.rfind("---\n", 0) == 0) yaml.erase(0, 4);
  std::istringstream in(yaml);
  std::string line, out;
  bool first = true;
  while (std::getline(in, line)) {
    out += (first ? "- " : (line.empty() ? "" : "  ")) + line + "\n";
    first = false;
  }
  return out;
}

}  // namespace

void print_resources(std::ostream& out, const conf::KindInfo& kind,
                     const std::vector<conf::Resource>& items, Format format, bool single,
                     bool show_namespace, int64_t list_revision) {
  switch (format) {
    case Format::table:
    case Format::wide:
      print_table(out, kind, items, format == Format::wide, show_namespace);
      return;
    case Format::yaml:
      if (single && items.size() == 1) {
        out << conf::to_yaml(items.front());
        return;
      }
      out << "apiVersion: " << kind.api_version << "\n";
      if (items.empty()) {
        out << "items: []\n";
      } else {
        out << "items:\n";
        for (const auto& r : items) out << as_list_item(conf::to_yaml(r));
      }
      out << "kind: " << kind.kind << "List\nmetadata:\n  resourceVersion: \"" << list_revision
          << "\"\n";
      return;
    case Format::json: {
      if (single && items.size() == 1) {
        out << items.front().doc.dump(2) << "\n";
        return;
      }
      nlohmann::ordered_json list;
      list["apiVersion"] = kind.api_version;
      list["kind"] = kind.kind + "List";
      list["metadata"] = {{"resourceVersion", std::to_string(list_revision)}};
      list["items"] = nlohmann::ordered_json::array();
      for (const auto& r : items) list["items"].push_back(r.doc);
      out << list.dump(2) << "\n";
      return;
    }
  }
}

}  // namespace podnet::cli
