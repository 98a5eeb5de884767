#include "ipam-sync/handle_ops.hpp"

#include "ipam-sync/ipam_block.hpp"

namespace podnet::ipam {

Status handle_add(store::Datastore& ds, const std::string& handle, const std::string& block_name,
                  int64_t delta) {
  const std::string key = handle_key(handle);
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto r = cas_change(ds, key, [&](Doc& doc) -> Result<Outcome> {
      Doc& blocks = doc["spec"]["block"];
      int64_t n = blocks.value(block_name, int64_t{0}) + delta;
      if (n > 0)
        blocks[block_name] = n;
      else
        blocks.erase(block_name);
      return blocks.empty() ? Outcome::remove : Outcome::write;
    });
    if (r) return ok_status();
    if (r.error().code != Errc::not_found) return r.error();
    if (delta <= 0) return ok_status();  // nothing counted: nothing to take away
    Doc doc = new_handle_doc(handle);
    doc["spec"]["block"][block_name] = delta;
    auto c = create_doc(ds, doc);
    if (c) return ok_status();
    if (c.error().code != Errc::already_exists) return c.error();
    // Another writer created it first: add to theirs.
  }
  return make_error(Errc::conflict, "handle " + handle + ": too many concurrent writers");
}

}  // namespace podnet::ipam
