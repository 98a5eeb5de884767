#include "rib/adj_rib_in.hpp"

namespace podnet::rib {

InChange AdjRibIn::replace(const PathKey& k, AttrRef attrs) {
  auto [it, inserted] = table_.try_emplace(k, attrs);
  if (inserted) return InChange::added;
  if (it->second == attrs) return InChange::unchanged;
  it->second = std::move(attrs);
  return InChange::replaced;
}

InChange AdjRibIn::withdraw(const PathKey& k) {
  return table_.erase(k) != 0 ? InChange::removed : InChange::absent;
}

const AttrRef* AdjRibIn::find(const PathKey& k) const {
  auto it = table_.find(k);
  return it == table_.end() ? nullptr : &it->second;
}

bool AdjRibIn::take(std::size_t limit, std::vector<std::pair<PathKey, AttrRef>>& out) {
  auto it = table_.begin();
  for (std::size_t n = 0; n < limit && it != table_.end(); ++n) {
    out.emplace_back(it->first, std::move(it->second));
    it = table_.erase(it);
  }
  return !table_.empty();
}

}  // namespace podnet::rib
