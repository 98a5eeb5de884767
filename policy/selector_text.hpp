// Building selector text the way Calico's converters do (libcalico-go k8s conversion and the
// syncer's update processors): Kubernetes label selectors as Calico selectors, label keys
// prefixed with pcns./pcsa., and selectors combined. The results are parsed by policy/selector.
#pragma once

#include <string>
#include <string_view>

#include "conf/result.hpp"
#include "conf/types/policy.hpp"

namespace podnet::policy {

// Labels Calico adds to workload endpoints and profiles.
inline constexpr std::string_view kLabelNamespace = "projectcalico.org/namespace";
inline constexpr std::string_view kLabelOrchestrator = "projectcalico.org/orchestrator";
inline constexpr std::string_view kLabelServiceAccount = "projectcalico.org/serviceaccount";
inline constexpr std::string_view kLabelName = "projectcalico.org/name";
inline constexpr std::string_view kNamespacePrefix = "pcns.";
inline constexpr std::string_view kServiceAccountPrefix = "pcsa.";

// A Kubernetes LabelSelector (conversion.go k8sSelectorToCalico). For a pod selector the result
// starts with `projectcalico.org/orchestrator == 'k8s'`; an empty namespace selector is `all()`.
enum class K8sSelectorKind { pod, ns };
std::string k8s_selector_to_calico(const conf::types::LabelSelector* sel, K8sSelectorKind kind);

// Every label key in `text` gets `prefix` (Calico's PrefixVisitor); the result is canonical.
// Errc::invalid when `text` does not parse.
Result<std::string> prefix_selector_labels(std::string_view text, std::string_view prefix);

// Canonical text of `text` (parse + print). Errc::invalid when it does not parse.
Result<std::string> canonical_selector(std::string_view text);

}  // namespace podnet::policy
