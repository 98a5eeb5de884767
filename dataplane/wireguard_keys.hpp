// WireGuard keys: Curve25519 (X25519) key pairs generated with OpenSSL, and the two text forms
// they travel in — base64 (what `wg`, Calico's Node.status.wireguardPublicKey and our API use)
// and lowercase hex (what the cross-platform UAPI protocol of wireguard-go speaks).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/result.hpp"

namespace podnet::dataplane::wg {

using Key = std::array<uint8_t, 32>;

struct KeyPair {
  Key private_key{};
  Key public_key{};
};

// A fresh X25519 key pair (private key clamped as RFC 7748 requires, by OpenSSL).
Result<KeyPair> generate_key_pair();
// The public key of `private_key`.
Result<Key> public_key_of(const Key& private_key);

std::string to_base64(const Key& k);
// Errors: not 44 characters of base64 decoding to exactly 32 bytes.
Result<Key> from_base64(std::string_view text);
std::string to_hex(const Key& k);
Result<Key> from_hex(std::string_view text);

// The all-zero key, which WireGuard treats as "no key".
bool is_zero(const Key& k);

}  // namespace podnet::dataplane::wg
