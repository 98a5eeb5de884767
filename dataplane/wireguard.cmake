# dataplane/: the WireGuard programmer, with its two backends (kernel module over generic
# netlink; wireguard-go over its UAPI socket). Included by dataplane/CMakeLists.txt.
target_sources(podnet_dataplane PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_keys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_device.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_userspace.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_genl.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_kernel.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_netlink.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_peers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wireguard_programmer.cpp)

podnet_test(dataplane_wireguard_unit_test unit
  SOURCES tests/wireguard_unit_test.cpp
  LIBS podnet_dataplane)

podnet_test(dataplane_wireguard_netns_test netns
  SOURCES tests/netns.cpp tests/two_node_lab.cpp tests/wireguard_netns_test.cpp
  LIBS podnet_dataplane nlohmann_json::nlohmann_json
  TIMEOUT 120)

podnet_test(dataplane_wireguard_v6_netns_test netns
  SOURCES tests/netns.cpp tests/two_node_lab.cpp tests/wireguard_v6_netns_test.cpp
  LIBS podnet_dataplane nlohmann_json::nlohmann_json
  TIMEOUT 120)
