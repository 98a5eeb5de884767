#include "bgp/cursor.hpp"

#include <gtest/gtest.h>

namespace podnet::bgp {
namespace {

TEST(Cursor, ReadsBigEndianAndStopsAtTheEnd) {
  const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  Cursor c(b);
  EXPECT_EQ(c.u8(), 0x01);
  EXPECT_EQ(c.u16(), 0x0203);
  EXPECT_EQ(c.u32(), 0x04050607u);
  EXPECT_TRUE(c.empty());
  EXPECT_FALSE(c.u8());
  EXPECT_FALSE(c.u16());
  EXPECT_FALSE(c.u32());
  EXPECT_FALSE(c.bytes(1));
  EXPECT_TRUE(c.bytes(0));
}

TEST(Cursor, FailedReadDoesNotAdvance) {
  const uint8_t b[] = {0xAA, 0xBB, 0xCC};
  Cursor c(b);
  EXPECT_FALSE(c.u32());
  EXPECT_EQ(c.offset(), 0u);
  EXPECT_FALSE(c.u64());
  EXPECT_EQ(c.offset(), 0u);
  EXPECT_FALSE(c.sub(4));
  auto s = c.sub(2);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->u16(), 0xAABB);
  EXPECT_FALSE(s->u8());  // the sub-cursor cannot see past its 2 bytes
  EXPECT_EQ(c.u8(), 0xCC);
}

TEST(Writer, PatchesReservedLengths) {
  std::vector<uint8_t> out;
  Writer w(out);
  auto at = w.reserve_u16();
  w.u32(0xDEADBEEF);
  w.u64(0x0102030405060708ull);
  w.patch_u16(at, static_cast<uint16_t>(out.size()));
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 14, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 5, 6, 7, 8}));
  Cursor c(out);
  EXPECT_EQ(c.u16(), 14);
  EXPECT_EQ(c.u32(), 0xDEADBEEFu);
  EXPECT_EQ(c.u64(), 0x0102030405060708ull);
}

}  // namespace
}  // namespace podnet::bgp
