// BGP-4 messages as value types (RFC 4271 4, RFC 2918 / 7313 ROUTE-REFRESH), the capabilities
// of an OPEN (RFC 5492 and friends), and the per-session parameters the codec needs.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "rib/path_attributes.hpp"
#include "rib/prefix.hpp"

namespace podnet::bgp {

inline constexpr std::size_t kHeaderSize = 19;
inline constexpr std::size_t kMaxMessageSize = 4096;
inline constexpr std::size_t kMaxExtendedMessageSize = 65535;  // RFC 8654
inline constexpr uint16_t kAsTrans = 23456;                    // RFC 6793

enum class MessageType : uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5,
};

enum class Afi : uint16_t { ipv4 = 1, ipv6 = 2 };
enum class Safi : uint8_t { unicast = 1 };

struct AfiSafi {
  uint16_t afi = 0;  // raw: capabilities may name families we do not speak
  uint8_t safi = 0;
  friend auto operator<=>(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr AfiSafi kIpv4Unicast{1, 1};
inline constexpr AfiSafi kIpv6Unicast{2, 1};
// The unicast family of a RIB family, and back (nullopt: a family we do not carry).
inline constexpr AfiSafi unicast_of(rib::Family f) {
  return f == rib::Family::v4 ? kIpv4Unicast : kIpv6Unicast;
}
inline constexpr std::optional<rib::Family> rib_family_of(AfiSafi f) {
  if (f == kIpv4Unicast) return rib::Family::v4;
  if (f == kIpv6Unicast) return rib::Family::v6;
  return std::nullopt;
}

// One NLRI entry: a prefix and, when ADD-PATH (RFC 7911) is in use for its family and
// direction, its path identifier (0 otherwise).
struct Nlri {
  rib::Prefix prefix;
  uint32_t path_id = 0;
  friend auto operator<=>(const Nlri&, const Nlri&) = default;
};

// ---- capabilities (OPEN optional parameter 2) ----

enum class CapabilityCode : uint8_t {
  multiprotocol = 1,
  route_refresh = 2,
  extended_next_hop = 5,        // RFC 8950
  extended_message = 6,         // RFC 8654
  graceful_restart = 64,        // RFC 4724
  four_octet_as = 65,           // RFC 6793
  add_path = 69,                // RFC 7911
  enhanced_route_refresh = 70,  // RFC 7313
};

struct GracefulRestart {
  bool restart_state = false;  // R bit
  bool notification = false;   // N bit (RFC 8538)
  uint16_t restart_time = 0;   // 12 bits, seconds
  struct Family {
    AfiSafi afi_safi;
    bool forwarding_preserved = false;  // F bit
    friend bool operator==(const Family&, const Family&) = default;
  };
  std::vector<Family> families;
  friend bool operator==(const GracefulRestart&, const GracefulRestart&) = default;
};

enum class AddPathMode : uint8_t { receive = 1, send = 2, both = 3 };

struct AddPathFamily {
  AfiSafi afi_safi;
  AddPathMode mode = AddPathMode::both;
  friend bool operator==(const AddPathFamily&, const AddPathFamily&) = default;
};

struct ExtendedNextHopFamily {
  AfiSafi nlri;           // e.g. IPv4 unicast
  uint16_t next_hop_afi;  // e.g. 2 (IPv6)
  friend bool operator==(const ExtendedNextHopFamily&, const ExtendedNextHopFamily&) = default;
};

struct RawCapability {
  uint8_t code = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawCapability&, const RawCapability&) = default;
};

struct Capabilities {
  std::vector<AfiSafi> multiprotocol;
  std::optional<uint32_t> four_octet_as;
  bool route_refresh = false;
  bool enhanced_route_refresh = false;
  bool extended_message = false;
  std::optional<GracefulRestart> graceful_restart;
  std::vector<AddPathFamily> add_path;
  std::vector<ExtendedNextHopFamily> extended_next_hop;
  std::vector<RawCapability> unknown;  // in received order
  friend bool operator==(const Capabilities&, const Capabilities&) = default;
};

// ---- messages ----

struct OpenMessage {
  uint8_t version = 4;
  uint16_t my_as = 0;  // AS_TRANS when the real AS is in capabilities.four_octet_as
  uint16_t hold_time = 0;
  uint32_t bgp_identifier = 0;
  Capabilities capabilities;
  // The speaker's real AS: the 4-octet AS capability if present, else my_as.
  uint32_t effective_as() const { return capabilities.four_octet_as.value_or(my_as); }
  friend bool operator==(const OpenMessage&, const OpenMessage&) = default;
};

// MP_REACH_NLRI (RFC 4760) minus its next hop, which lives in PathAttributes::mp_next_hop /
// mp_link_local_next_hop so that a route's attribute set is complete on its own.
struct MpReach {
  AfiSafi afi_safi;
  std::vector<Nlri> nlri;
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {
  AfiSafi afi_safi;
  std::vector<Nlri> withdrawn;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

// An UPDATE as it is on the wire: the classic (IPv4) fields plus optional MP attributes.
struct UpdateMessage {
  std::vector<Nlri> withdrawn;  // classic Withdrawn Routes (IPv4)
  rib::PathAttributes attributes;
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  std::vector<Nlri> nlri;  // classic NLRI (IPv4)

  // End-of-RIB marker (RFC 4724 2): empty UPDATE (IPv4) or only an empty MP_UNREACH.
  std::optional<AfiSafi> end_of_rib() const;
  friend bool operator==(const UpdateMessage&, const UpdateMessage&) = default;
};

struct NotificationMessage {
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  friend bool operator==(const NotificationMessage&, const NotificationMessage&) = default;
};

struct KeepaliveMessage {
  friend bool operator==(const KeepaliveMessage&, const KeepaliveMessage&) = default;
};

// RFC 7313 3: 0 is a plain refresh request, 1 and 2 bracket a re-advertisement (BoRR, EoRR).
// Other values decode as they are (the enum holds any octet) and are ignored by the receiver.
enum class RouteRefreshSubtype : uint8_t { normal = 0, begin = 1, end = 2 };

struct RouteRefreshMessage {
  AfiSafi afi_safi;
  RouteRefreshSubtype subtype = RouteRefreshSubtype::normal;
  friend bool operator==(const RouteRefreshMessage&, const RouteRefreshMessage&) = default;
};

using Message = std::variant<OpenMessage, UpdateMessage, NotificationMessage, KeepaliveMessage,
                             RouteRefreshMessage>;

// ---- session parameters the codec needs ----

// What OPEN negotiated for one session. A session keeps one of these; decode reads the
// *_receive flags, encode the *_send flags, so the same struct serves both directions.
struct CodecContext {
  bool four_octet_as = true;      // both sides sent capability 65
  bool ebgp = true;               // peer is external: LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST
                                  // are discarded on receipt and never sent
  bool extended_message = false;  // RFC 8654: messages up to 65535 bytes
  // RFC 7911: path identifiers in NLRI of this family, per direction.
  bool add_path_receive_v4 = false;
  bool add_path_receive_v6 = false;
  bool add_path_send_v4 = false;
  bool add_path_send_v6 = false;
  // RFC 8950: IPv4 unicast NLRI may come (and go) in MP_REACH_NLRI with an IPv6 next hop.
  bool extended_next_hop_v4 = false;
  // RFC 2918 / 7313: both sides sent route refresh (2); enhanced route refresh (70) too. With
  // enhanced negotiated a ROUTE-REFRESH of bad length is a ROUTE-REFRESH Message Error.
  bool route_refresh = false;
  bool enhanced_route_refresh = false;

  std::size_t max_message_size() const {
    return extended_message ? kMaxExtendedMessageSize : kMaxMessageSize;
  }
  bool add_path_receive(rib::Family f) const {
    return f == rib::Family::v4 ? add_path_receive_v4 : add_path_receive_v6;
  }
  bool add_path_send(rib::Family f) const {
    return f == rib::Family::v4 ? add_path_send_v4 : add_path_send_v6;
  }
};

// The CodecContext two OPENs negotiate (capability intersection, RFC 5492 / 6793 / 7911 / 8950).
CodecContext negotiate(const OpenMessage& local, const OpenMessage& remote, bool ebgp);

}  // namespace podnet::bgp
