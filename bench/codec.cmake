# BGP codec throughput benchmark (Google Benchmark). Include from bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/codec.cmake OPTIONAL)
# It needs the bgp module configured (PODNET_MODULES containing rib and bgp).
if(TARGET podnet_bgp)
  add_executable(bgp_codec_bench ${CMAKE_CURRENT_LIST_DIR}/bgp_codec_bench.cpp)
  podnet_warnings(bgp_codec_bench)
  target_link_libraries(bgp_codec_bench PRIVATE podnet_bgp benchmark::benchmark)
endif()
