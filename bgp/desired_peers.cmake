# Calico's peering model: PeerConfigs from Node / BGPConfiguration / BGPPeer / Secret resources.
# peer_selection expands BGPPeer nodeSelector / peerSelector (policy/selector) and reverse peerings.
include(${PROJECT_SOURCE_DIR}/policy/selector.cmake)  # also when policy/ is not configured
target_sources(podnet_bgp PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/desired_peers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/peer_selection.cpp)
target_link_libraries(podnet_bgp PUBLIC podnet_conf podnet_selector)
podnet_test(bgp_desired_peers_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/desired_peers_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/selector_peers_test.cpp
  LIBS podnet_bgp)
