// IR rule -> libnftnl expressions (meta, payload, cmp, bitwise, range, lookup, ct, immediate,
// counter, log, masq, nat), the same expressions `nft` itself generates for the equivalent text,
// so `nft list` prints our rules in their familiar form. Each rule carries its IR tag in its
// userdata (a TLV type nft ignores) so a dump tells our rules apart and detects edits.
#pragma once

#include <cstdint>

#include "conf/result.hpp"
#include "policy/nft/nft_ir.hpp"

struct nftnl_rule;

namespace podnet::policy::nft {

class Batch;

// Appends r's expressions to `out` and sets its userdata tag; anonymous sets the rule needs are
// added to `batch` (before the rule itself, as the kernel requires).
Status encode_rule(nftnl_rule* out, Family family, const Rule& r, Batch& batch);

// The tag encode_rule stored, or 0 for a rule without one (not written by podnet).
uint64_t read_rule_tag(const nftnl_rule* r);

}  // namespace podnet::policy::nft
