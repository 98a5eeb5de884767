# Route policy (issue 6 items 2 and 5): BGPFilter import/export rules and prefixAdvertisement
# communities, evaluated by the export policy and the peer manager's import.
target_sources(podnet_bgp PRIVATE ${CMAKE_CURRENT_LIST_DIR}/route_filter.cpp)
podnet_test(bgp_route_filter_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/route_filter_test.cpp
  LIBS podnet_bgp)
