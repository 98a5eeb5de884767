// podnet-ipam: the CNI IPAM plugin (ipam_plugin.hpp).
#include "cni/ipam_plugin.hpp"

int main() {
  return podnet::cni::plugin_main(podnet::cni::ipam_handlers());
}
