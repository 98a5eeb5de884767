// Owning pointers for libnftnl objects.
#pragma once

#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include <memory>

namespace podnet::policy::nft {

struct NftnlFree {
  void operator()(nftnl_table* p) const { nftnl_table_free(p); }
  void operator()(nftnl_chain* p) const { nftnl_chain_free(p); }
  void operator()(nftnl_set* p) const { nftnl_set_free(p); }
  void operator()(nftnl_rule* p) const { nftnl_rule_free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, NftnlFree>;
using ChainPtr = std::unique_ptr<nftnl_chain, NftnlFree>;
using SetPtr = std::unique_ptr<nftnl_set, NftnlFree>;
using RulePtr = std::unique_ptr<nftnl_rule, NftnlFree>;

}  // namespace podnet::policy::nft
