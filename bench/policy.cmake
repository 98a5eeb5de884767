# Policy programming from cold and one label change (bench/policy_bench.cpp). Include from
# bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/policy.cmake OPTIONAL)
# It needs the policy and interop-tests modules configured.
if(TARGET podnet_policy_compiler AND TARGET podnet_harness)
  add_executable(policy_bench ${CMAKE_CURRENT_LIST_DIR}/policy_bench.cpp)
  podnet_warnings(policy_bench)
  target_link_libraries(policy_bench PRIVATE podnet_policy_compiler podnet_harness)
endif()
# Pod-to-pod iperf3 throughput with 0 and 1,000 policies (bench/policy_throughput.cpp).
if(TARGET podnet_policy_compiler AND TARGET podnet_harness AND TARGET podnet_peers)
  add_executable(policy_throughput ${CMAKE_CURRENT_LIST_DIR}/policy_throughput.cpp)
  podnet_warnings(policy_throughput)
  target_link_libraries(policy_throughput PRIVATE podnet_policy_compiler podnet_harness
                                                  podnet_peers)
endif()
