# Sessions and the peer manager (issue 3 items 3 and 5): asio transport, the session that drives
# the FSM over real sockets, export/import rules, and the peer manager the daemon holds.
target_sources(podnet_bgp PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/export_policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/notification_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/peer_manager.cpp
  ${CMAKE_CURRENT_LIST_DIR}/session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transport.cpp)
target_link_libraries(podnet_bgp PUBLIC Boost::system spdlog::spdlog fmt::fmt)

podnet_test(bgp_session_test unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tests/add_path_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/export_policy_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/peer_manager_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/process_peer_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/route_refresh_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/transport_test.cpp
  LIBS podnet_bgp
  TIMEOUT 240)

# Peers updated in place (issue 6): which changes reset a session, the mesh -> reflector
# migration keeping every session, live reflector / client / next-hop changes on loopback.
podnet_test(bgp_peer_update_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/peer_update_test.cpp
  LIBS podnet_bgp
  TIMEOUT 120)
