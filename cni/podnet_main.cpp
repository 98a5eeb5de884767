// podnet: the CNI network plugin (network_plugin.hpp).
#include "cni/network_plugin.hpp"

int main() {
  return podnet::cni::plugin_main(podnet::cni::network_handlers());
}
