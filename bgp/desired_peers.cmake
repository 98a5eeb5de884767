# Calico's peering model: PeerConfigs from Node / BGPConfiguration / BGPPeer / Secret resources.
target_sources(podnet_bgp PRIVATE ${CMAKE_CURRENT_LIST_DIR}/desired_peers.cpp)
target_link_libraries(podnet_bgp PUBLIC podnet_conf)
podnet_test(bgp_desired_peers_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/desired_peers_test.cpp
  LIBS podnet_bgp)
