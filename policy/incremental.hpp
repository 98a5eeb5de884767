// Incremental policy compilation: keeps what a full compile() knew (the model, every endpoint,
// the CompileIndex of sets and policy chains, the table) and turns workload endpoint changes — a
// pod added, removed, relabelled, re-addressed — into a TableDelta that names only the set
// elements and chains that really change:
//
//   sets       the changed endpoint is re-evaluated against each indexed set's selector (not
//              every endpoint against every selector); a set whose members change is put whole
//              (sets are small; the programmer diffs its elements against the kernel);
//   chains     a local workload's fw-/tw- chains are re-rendered from its own policy list and put
//              only when they differ; the dispatch maps change only when a local workload comes
//              or goes;
//   liveness   policy chains (and their sets) are programmed while some endpoint chain jumps to
//              them: reference counts add a policy newly active on this node and drop one no
//              longer used, as a full compile would.
//
// Anything else (policies, namespaces, host endpoints, options) goes through rebuild(): the full
// compile, which is also what tests hold the incremental state against.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "conf/result.hpp"
#include "policy/compiler.hpp"

namespace podnet::policy {

class IncrementalCompiler {
 public:
  // A workload endpoint by name ("<ns>/<pod>"): added or changed (endpoint set) or gone.
  struct Change {
    std::string name;
    std::optional<Endpoint> endpoint;
  };

  // The full compile. The model and endpoints are kept (the index points into the model).
  const CompileResult& rebuild(Model model, Endpoints endpoints, CompileOptions opts);
  // Takes over a compile the caller already ran with `index` over `model` / `endpoints`.
  void adopt(Model model, Endpoints endpoints, CompileOptions opts, CompileIndex index,
             CompileResult result);

  // Applies workload changes to the kept state and returns what changed in the table. Fails
  // (Errc::invalid, state untouched) when a change is not a workload endpoint or nothing was
  // compiled yet: the caller then rebuilds.
  Result<nft::TableDelta> update(const std::vector<Change>& changes);

  bool ready() const { return model_ != nullptr; }
  const nft::Table& table() const { return result_.table; }
  const CompileResult& result() const { return result_; }
  const Model& model() const { return *model_; }
  std::size_t endpoint_count() const { return workloads_.size() + hosts_.size(); }
  // Every endpoint, ordered as build_endpoints() orders them.
  Endpoints endpoints() const;

 private:
  bool local(const Endpoint& ep) const {
    return ep.node == opts_.node && ep.kind == Endpoint::Kind::workload && !ep.interface.empty();
  }
  void count_references();

  std::unique_ptr<Model> model_;
  CompileOptions opts_;
  CompileIndex index_;
  CompileResult result_;
  std::map<std::string, Endpoint> workloads_;  // by name
  std::vector<Endpoint> hosts_;
  std::size_t local_hosts_ = 0;
  // Policy chain -> endpoint chains jumping to it; set -> programmed policy chains using it.
  std::map<std::string, int> chain_refs_, set_refs_;
  std::map<std::string, std::set<std::string>> chain_sets_;  // policy chain -> named sets it uses
};

}  // namespace podnet::policy
