# Kubernetes Services (engineer "svc"): ClusterIP / NodePort in podnet's own nftables table.
add_library(podnet_services service_endpoints.cpp services_nat.cpp)
target_include_directories(podnet_services PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(podnet_services PUBLIC podnet_nft podnet_conf fmt::fmt)
podnet_warnings(podnet_services)
podnet_test(policy_services_test unit
  SOURCES tests/services_nat_test.cpp tests/service_endpoints_test.cpp
  LIBS podnet_services)
# The kernel tests' backend: a few lines of HTTP that name themselves and the peer they saw.
add_executable(svc_http_server tests/svc_http_server.cpp)
podnet_warnings(svc_http_server)
if("interop-tests" IN_LIST PODNET_MODULES)
  podnet_test(policy_services_kernel_test netns
    SOURCES tests/services_kernel_test.cpp tests/nft_netns.cpp
    LIBS podnet_services podnet_harness
    TIMEOUT 120)
  add_dependencies(policy_services_kernel_test svc_http_server)
endif()
