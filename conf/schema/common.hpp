// Building blocks shared by the kind schemas: metadata, the document envelope, and typed
// leaves (CIDR, IP, selector, duration, AS number, port, protocol, label maps).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/kinds.hpp"
#include "conf/schema/schema.hpp"

namespace podnet::conf::schema {

// What a kind adds to the generic walk: its document schema and a finishing step for defaults
// and rules that involve several fields (blockSize depends on the CIDR's family, ...).
struct KindSchema {
  SpecPtr document;
  std::function<void(Json& doc, Walk& walk)> finish;  // may be empty
};

using NameCheck = std::function<std::string(std::string_view)>;

S metadata(const KindInfo& k, NameCheck name_check);
// apiVersion, kind, metadata, spec (always present), status (optional). With open_top the
// document may carry other top-level fields (Secret data, ServiceAccount secrets...).
S document(const KindInfo& k, S spec, S status, bool open_top = false,
           NameCheck name_check = nullptr);
S document_no_spec(const KindInfo& k, S status, bool open_top, NameCheck name_check = nullptr);

S cidr();  // IPv4 or IPv6 CIDR (a bare IP is accepted as /32 or /128, as Calico does)
S cidr_v4();
S cidr_v6();
S strict_cidr();  // a/len only
S ip();           // IPv4 or IPv6
S ipv4();
S ipv6();
S ip_or_cidr_v4();  // Node spec.bgp.ipv4Address: "198.19.0.2/20"
S ip_or_cidr_v6();
S selector();  // parsed by the policy module; here: a string without newlines
S duration();
S as_number();  // 65000 or "1.10"; stored as an integer
S port();       // Calico numorstring.Port: 0-65535, "lo:hi" or a named port
S protocol();   // Calico numorstring.Protocol: TCP/UDP/ICMP/ICMPv6/SCTP/UDPLite or 1-255
S labels();     // Kubernetes label rules for keys and values
S annotations();
S name_ref();        // a resource name (DNS-1123 subdomain)
S secret_key_ref();  // {name, key, optional}

// Helpers for finish steps.
bool has(const Json& o, const char* key);
const Json* at(const Json& doc, std::initializer_list<const char*> path);
std::string doc_name(const Json& doc);
// Reorders an object's keys as the schema lists its fields (after a finish step added some).
void order_like(Json& o, const Spec& s);

// The kinds, grouped as the headers in conf/types are.
std::vector<std::pair<std::string, KindSchema>> routing_schemas();
std::vector<std::pair<std::string, KindSchema>> ipam_schemas();
std::vector<std::pair<std::string, KindSchema>> policy_schemas();
std::vector<std::pair<std::string, KindSchema>> k8s_schemas();
std::vector<std::pair<std::string, KindSchema>> operator_schemas();
S felix_spec();
KindSchema kube_controllers_schema();
// The IPPool documents an Installation stands for (validated Installation in, raw IPPools out).
std::vector<Json> installation_ippools(const Json& installation);

// By plural (unique).
const KindSchema& kind_schema(const KindInfo& k);

}  // namespace podnet::conf::schema
