# IPAM allocation rate (single allocator and two racing processes) on any datastore. Include
# from bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/ipam.cmake OPTIONAL)
# It needs the ipam-sync module configured.
if(TARGET podnet_ipam)
  add_executable(ipam_alloc_bench ${CMAKE_CURRENT_LIST_DIR}/ipam_alloc_bench.cpp)
  podnet_warnings(ipam_alloc_bench)
  target_link_libraries(ipam_alloc_bench PRIVATE podnet_ipam)
endif()
