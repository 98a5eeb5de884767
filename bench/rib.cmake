# RIB throughput benchmark (Google Benchmark): prefix insert / withdraw / peer-down rates with
# a million routes from each of two peers. Include from bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/rib.cmake OPTIONAL)
# It needs the rib module configured (PODNET_MODULES containing rib).
if(TARGET podnet_rib)
  add_executable(rib_bench ${CMAKE_CURRENT_LIST_DIR}/rib_bench.cpp)
  podnet_warnings(rib_bench)
  target_link_libraries(rib_bench PRIVATE podnet_rib benchmark::benchmark)
endif()
