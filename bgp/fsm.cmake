# The pure session FSM (RFC 4271 §8): no sockets, no clocks; tested by replaying recorded events.
target_sources(podnet_bgp PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/fsm.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fsm_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fsm_text.cpp)

podnet_test(bgp_fsm_tests unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tests/fsm_replay.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/fsm_replay_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/fsm_table_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/fsm_checks_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/fsm_text_test.cpp
  LIBS podnet_bgp)
