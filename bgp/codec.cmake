# The BGP wire codec (issue 3 item 1). Included by bgp/CMakeLists.txt, which owns podnet_bgp.
target_sources(podnet_bgp PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/attributes_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/capabilities.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/nlri_codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/update_codec.cpp)
target_link_libraries(podnet_bgp PUBLIC podnet_rib)

podnet_test(bgp_codec_test unit
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/tests/builder_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/cursor_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/messages_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/rfc7606_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/truncation_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/tests/update_test.cpp
  LIBS podnet_bgp)

# libFuzzer target: only with clang (configure with -DCMAKE_CXX_COMPILER=clang++
# -DPODNET_FUZZ=ON; bgp/fuzz/run.sh does that).
option(PODNET_FUZZ "Build the libFuzzer targets (clang only)" OFF)
if(PODNET_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_executable(bgp_fuzz_codec ${CMAKE_CURRENT_LIST_DIR}/fuzz/fuzz_codec.cpp)
  target_compile_options(bgp_fuzz_codec PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(bgp_fuzz_codec PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(bgp_fuzz_codec PRIVATE podnet_bgp)
  podnet_warnings(bgp_fuzz_codec)
endif()
