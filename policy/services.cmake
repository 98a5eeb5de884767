# podnet_services (engineer "svc"): Kubernetes Services (ClusterIP / NodePort) in podnet's own
# nftables table (policy/services_nat.hpp) and their endpoints from Pods
# (policy/service_endpoints.hpp). A fragment of its own so that daemon/ can include it.
include_guard(GLOBAL)
add_library(podnet_services
  ${CMAKE_CURRENT_LIST_DIR}/service_endpoints.cpp
  ${CMAKE_CURRENT_LIST_DIR}/services_nat.cpp)
target_include_directories(podnet_services PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(podnet_services PUBLIC podnet_nft podnet_conf fmt::fmt)
podnet_warnings(podnet_services)

# The kernel tests' backend: a few lines of HTTP that name themselves and the peer they saw.
add_executable(svc_http_server ${CMAKE_CURRENT_LIST_DIR}/tests/svc_http_server.cpp)
podnet_warnings(svc_http_server)

# Tests, when included from policy/CMakeLists.txt.
if(CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_CURRENT_LIST_DIR)
  podnet_test(policy_services_test unit
    SOURCES tests/services_nat_test.cpp tests/service_endpoints_test.cpp
    LIBS podnet_services)
  if("interop-tests" IN_LIST PODNET_MODULES)
    podnet_test(policy_services_kernel_test netns
      SOURCES tests/services_kernel_test.cpp tests/nft_netns.cpp
      LIBS podnet_services podnet_harness
      TIMEOUT 120)
    add_dependencies(policy_services_kernel_test svc_http_server)
  endif()
endif()
