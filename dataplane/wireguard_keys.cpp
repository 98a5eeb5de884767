#include "dataplane/wireguard_keys.hpp"

#include <openssl/evp.h>

#include <memory>

namespace podnet::dataplane::wg {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Error crypto_error(const char* what) {
  return make_error(Errc::internal, std::string("openssl: ") + what);
}

Result<Key> raw_public(EVP_PKEY* p) {
  Key k{};
  std::size_t len = k.size();
  if (EVP_PKEY_get_raw_public_key(p, k.data(), &len) != 1 || len != k.size()) {
    return crypto_error("reading the X25519 public key");
  }
  return k;
}

}  // namespace

Result<KeyPair> generate_key_pair() {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) return crypto_error("X25519 keygen init");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &raw) != 1) return crypto_error("X25519 keygen");
  Pkey p(raw);
  KeyPair kp;
  std::size_t len = kp.private_key.size();
  if (EVP_PKEY_get_raw_private_key(p.get(), kp.private_key.data(), &len) != 1 ||
      len != kp.private_key.size()) {
    return crypto_error("reading the X25519 private key");
  }
  auto pub = raw_public(p.get());
  if (!pub) return pub.error();
  kp.public_key = *pub;
  return kp;
}

Result<Key> public_key_of(const Key& private_key) {
  Pkey p(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                      private_key.size()));
  if (!p) return crypto_error("loading the X25519 private key");
  return raw_public(p.get());
}

std::string to_base64(const Key& k) {
  unsigned char out[4 * ((32 + 2) / 3) + 1] = {};
  int n = EVP_EncodeBlock(out, k.data(), static_cast<int>(k.size()));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

Result<Key> from_base64(std::string_view text) {
  // 32 bytes are 44 characters ending in exactly one '=' (43 significant ones).
  if (text.size() != 44 || text[43] != '=' || text[42] == '=') {
    return make_error(Errc::invalid, "a WireGuard key is 44 characters of base64");
  }
  unsigned char out[33] = {};
  int n = EVP_DecodeBlock(out, reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  // EVP_DecodeBlock counts the padding as a zero byte: 33 for one '='.
  if (n != 33) return make_error(Errc::invalid, "a WireGuard key is 44 characters of base64");
  Key k{};
  std::copy(out, out + 32, k.begin());
  return k;
}

std::string to_hex(const Key& k) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : k) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0xf]);
  }
  return s;
}

Result<Key> from_hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() != 64) return make_error(Errc::invalid, "a hex WireGuard key is 64 digits");
  Key k{};
  for (std::size_t i = 0; i < 32; ++i) {
    int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error(Errc::invalid, "a hex WireGuard key is 64 digits");
    k[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return k;
}

bool is_zero(const Key& k) {
  for (uint8_t b : k) {
    if (b) return false;
  }
  return true;
}

}  // namespace podnet::dataplane::wg
