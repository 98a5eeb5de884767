# podnet_policy_compiler (engineer "pc"): the policy compiler (model + endpoints -> nft::Table,
# policy/compiler.hpp) and the engine that applies it (policy/policy_engine.hpp). A fragment of its
# own so that daemon/ can include it without policy/ in PODNET_MODULES.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/model.cmake)
add_library(podnet_policy_compiler
  ${CMAKE_CURRENT_LIST_DIR}/compiler.cpp
  ${CMAKE_CURRENT_LIST_DIR}/incremental.cpp)
target_include_directories(podnet_policy_compiler PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(podnet_policy_compiler PUBLIC podnet_policy_model podnet_nft fmt::fmt)
podnet_warnings(podnet_policy_compiler)
target_sources(podnet_policy_compiler PRIVATE ${CMAKE_CURRENT_LIST_DIR}/policy_engine.cpp)
target_link_libraries(podnet_policy_compiler PUBLIC nlohmann_json::nlohmann_json)

# Tests, when included from policy/CMakeLists.txt (not from another module's fragment).
if(CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_CURRENT_LIST_DIR)
  podnet_test(policy_compiler_test unit
    SOURCES tests/compiler_test.cpp tests/icmp_test.cpp tests/incremental_test.cpp
    LIBS podnet_policy_compiler)
  if("interop-tests" IN_LIST PODNET_MODULES)
    podnet_test(policy_engine_traffic_test netns
      SOURCES tests/policy_engine_traffic_test.cpp tests/nft_netns.cpp
      LIBS podnet_policy_compiler podnet_harness podnet_peers
      TIMEOUT 120)
  endif()
endif()
