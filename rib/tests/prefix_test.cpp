#include "rib/prefix.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>
#include <unordered_set>
#include <vector>

namespace podnet::rib {
namespace {

TEST(Prefix, ParsesAndFormatsV4AndV6) {
  auto p4 = Prefix::parse("10.0.0.0/26");
  ASSERT_TRUE(p4.ok());
  EXPECT_EQ(p4->family(), Family::v4);
  EXPECT_EQ(p4->length(), 26);
  EXPECT_EQ(p4->to_string(), "10.0.0.0/26");
  EXPECT_EQ(p4->significant_bytes(), 4u);

  auto p6 = Prefix::parse("2001:db8::/122");
  ASSERT_TRUE(p6.ok());
  EXPECT_EQ(p6->family(), Family::v6);
  EXPECT_EQ(p6->length(), 122);
  EXPECT_EQ(p6->to_string(), "2001:db8::/122");
  EXPECT_EQ(p6->bytes().size(), 16u);
}

TEST(Prefix, BareAddressIsHostRoute) {
  EXPECT_EQ(Prefix::parse("192.168.1.7")->to_string(), "192.168.1.7/32");
  EXPECT_EQ(Prefix::parse("fd00::1")->to_string(), "fd00::1/128");
}

TEST(Prefix, NormalisesHostBits) {
  EXPECT_EQ(Prefix::parse("10.1.2.3/24")->to_string(), "10.1.2.0/24");
  EXPECT_EQ(Prefix::parse("10.1.2.255/26")->to_string(), "10.1.2.192/26");
  EXPECT_EQ(Prefix::parse("2001:db8::ffff/122")->to_string(), "2001:db8::ffc0/122");
  EXPECT_EQ(Prefix::parse("255.255.255.255/0")->to_string(), "0.0.0.0/0");
  EXPECT_EQ(*Prefix::parse("10.1.2.3/24"), *Prefix::parse("10.1.2.0/24"));
}

TEST(Prefix, RejectsGarbage) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/2x",
                          "hello", "1.2.3.4/-1", "2001:db8::g/64"}) {
    EXPECT_FALSE(Prefix::parse(bad).ok()) << bad;
  }
  uint8_t b[4] = {10, 0, 0, 0};
  EXPECT_FALSE(Prefix::make(Family::v4, b, 33).ok());
}

TEST(Prefix, Contains) {
  auto p = *Prefix::parse("10.0.0.0/24");
  EXPECT_TRUE(p.contains(*Prefix::parse("10.0.0.64/26")));
  EXPECT_TRUE(p.contains(p));
  EXPECT_FALSE(p.contains(*Prefix::parse("10.0.1.0/26")));
  EXPECT_FALSE(p.contains(*Prefix::parse("10.0.0.0/23")));
  EXPECT_FALSE(p.contains(*Prefix::parse("::/0")));
  EXPECT_TRUE(p.contains(*Address::parse("10.0.0.255")));
  EXPECT_FALSE(p.contains(*Address::parse("10.0.1.0")));
  EXPECT_TRUE(Prefix::parse("::/0")->contains(*Prefix::parse("2001:db8::/122")));
}

TEST(Prefix, OrderingPutsCoveringPrefixFirstAndFamiliesApart) {
  std::set<Prefix> s = {*Prefix::parse("10.0.0.64/26"), *Prefix::parse("2001:db8::/122"),
                        *Prefix::parse("10.0.0.0/24"), *Prefix::parse("10.0.0.0/26")};
  std::vector<std::string> got;
  for (const auto& p : s) got.push_back(p.to_string());
  EXPECT_EQ(got, (std::vector<std::string>{"10.0.0.0/24", "10.0.0.0/26", "10.0.0.64/26",
                                           "2001:db8::/122"}));
}

TEST(Address, OrderIsTheOrderOfTheBytes) {
  // Addresses that differ in each of the 16 bytes, in both directions: the comparison (two
  // big-endian words) must agree with comparing the byte strings.
  std::vector<Address> all;
  for (std::size_t i = 0; i < 16; ++i) {
    for (uint8_t v : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::array<uint8_t, 16> b{};
      b[i] = v;
      b[15 - i] ^= 0x40;
      all.push_back(Address::from_bytes(Family::v6, b));
    }
  }
  for (const Address& x : all) {
    for (const Address& y : all) {
      const auto bx = x.bytes(), by = y.bytes();
      const int want = std::memcmp(bx.data(), by.data(), 16);
      const auto got = x <=> y;
      EXPECT_EQ(got < 0, want < 0) << x.to_string() << " vs " << y.to_string();
      EXPECT_EQ(got == 0, want == 0) << x.to_string() << " vs " << y.to_string();
    }
  }
  EXPECT_LT(*Address::parse("255.255.255.255"), *Address::parse("::"));  // family first
}

TEST(Prefix, HashDistinguishesLengthAndFamily) {
  std::unordered_set<Prefix> s;
  s.insert(*Prefix::parse("10.0.0.0/24"));
  s.insert(*Prefix::parse("10.0.0.0/25"));
  s.insert(*Prefix::parse("10.0.0.0/24"));
  s.insert(*Prefix::parse("::/24"));
  EXPECT_EQ(s.size(), 3u);
  EXPECT_NE(std::hash<Prefix>{}(*Prefix::parse("10.0.0.0/24")),
            std::hash<Prefix>{}(*Prefix::parse("10.0.0.0/25")));
}

TEST(Address, V4ValueRoundTrip) {
  auto a = Address::v4(0x0a000102);
  EXPECT_EQ(a.to_string(), "10.0.1.2");
  EXPECT_EQ(a.v4_value(), 0x0a000102u);
  EXPECT_TRUE(Address::parse("fe80::1")->is_v6_link_local());
  EXPECT_FALSE(Address::parse("2001:db8::1")->is_v6_link_local());
  EXPECT_TRUE(Address::parse("::")->is_unspecified());
}

}  // namespace
}  // namespace podnet::rib
