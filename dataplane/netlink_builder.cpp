#include "dataplane/netlink_builder.hpp"

namespace podnet::dataplane::nl {

void Builder::begin_raw(uint16_t type, uint16_t flags, uint32_t seq, const void* body,
                        std::size_t len) {
  start_ = buf_.size();
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  h.nlmsg_seq = seq;
  buf_.resize(start_ + NLMSG_HDRLEN + NLMSG_ALIGN(len));
  std::memcpy(buf_.data() + start_, &h, sizeof h);
  if (len) std::memcpy(buf_.data() + start_ + NLMSG_HDRLEN, body, len);
}

std::size_t append_attr(std::vector<uint8_t>& buf, uint16_t type, const void* data,
                        std::size_t len) {
  rtattr a{};
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  a.rta_type = type;
  std::size_t off = buf.size();
  buf.resize(off + RTA_SPACE(len));
  std::memcpy(buf.data() + off, &a, sizeof a);
  if (len) std::memcpy(buf.data() + off + RTA_LENGTH(0), data, len);
  return off;
}

void Builder::attr(uint16_t type, const void* data, std::size_t len) {
  append_attr(buf_, type, data, len);
}

void Builder::attr_str(uint16_t type, std::string_view s) {
  std::string z(s);
  attr(type, z.c_str(), z.size() + 1);
}

std::size_t Builder::nest_begin(uint16_t type) {
  std::size_t off = buf_.size();
  attr(static_cast<uint16_t>(type | NLA_F_NESTED), nullptr, 0);
  return off;
}

void Builder::nest_end(std::size_t offset) {
  auto len = static_cast<uint16_t>(buf_.size() - offset);
  std::memcpy(buf_.data() + offset + offsetof(rtattr, rta_len), &len, sizeof len);
}

std::size_t Builder::end() {
  auto len = static_cast<uint32_t>(buf_.size() - start_);
  std::memcpy(buf_.data() + start_ + offsetof(nlmsghdr, nlmsg_len), &len, sizeof len);
  return start_;
}

Attrs::Attrs(const void* first, std::size_t len) {
  int left = static_cast<int>(len);
  for (auto* a = static_cast<const rtattr*>(first); RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    auto type = static_cast<uint16_t>(a->rta_type & NLA_TYPE_MASK);
    std::span<const uint8_t> data(static_cast<const uint8_t*>(RTA_DATA(a)), RTA_PAYLOAD(a));
    map_[type] = data;
    order_.emplace_back(type, data.size());
  }
}

Attrs Attrs::of(const nlmsghdr& h, std::size_t body) {
  std::size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(body);
  if (h.nlmsg_len < head) return {};
  return Attrs(reinterpret_cast<const uint8_t*>(&h) + head, h.nlmsg_len - head);
}

std::span<const uint8_t> Attrs::get(uint16_t type) const {
  auto it = map_.find(type);
  return it == map_.end() ? std::span<const uint8_t>() : it->second;
}

std::optional<uint8_t> Attrs::u8(uint16_t type) const {
  auto d = get(type);
  if (d.size() < 1) return std::nullopt;
  return d[0];
}

std::optional<uint16_t> Attrs::u16(uint16_t type) const {
  auto d = get(type);
  if (d.size() < 2) return std::nullopt;
  uint16_t v;
  std::memcpy(&v, d.data(), 2);
  return v;
}

std::optional<uint32_t> Attrs::u32(uint16_t type) const {
  auto d = get(type);
  if (d.size() < 4) return std::nullopt;
  uint32_t v;
  std::memcpy(&v, d.data(), 4);
  return v;
}

std::optional<std::string> Attrs::str(uint16_t type) const {
  if (!has(type)) return std::nullopt;
  auto d = get(type);
  const char* p = reinterpret_cast<const char*>(d.data());
  return std::string(p, strnlen(p, d.size()));
}

Attrs Attrs::nested(uint16_t type) const {
  auto d = get(type);
  return Attrs(d.data(), d.size());
}

std::vector<const nlmsghdr*> messages(std::span<const uint8_t> buf) {
  std::vector<const nlmsghdr*> out;
  int left = static_cast<int>(buf.size());
  for (auto* h = reinterpret_cast<const nlmsghdr*>(buf.data()); NLMSG_OK(h, left);
       h = NLMSG_NEXT(h, left)) {
    out.push_back(h);
  }
  return out;
}

}  // namespace podnet::dataplane::nl
