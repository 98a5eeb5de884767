# bench/scale_mesh.sh kept working: an 8-node run in each mode (label interop, not timed: the 100-
# and 200-node runs are by hand, their numbers in bench/README.md). Needs root (exit 77 = skipped
# otherwise) and this build's podnetd and podnetctl. Include from bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/scale.cmake OPTIONAL)
if(TARGET podnetd AND TARGET podnetctl)
  foreach(mode mesh rr)
    add_test(NAME scale_mesh_smoke_${mode} COMMAND ${CMAKE_CURRENT_LIST_DIR}/scale_mesh.sh 8 ${mode})
    # Its own namespace prefix, so a hand run of the benchmark does not collide with ctest; one
    # mode at a time, they share that prefix.
    set_tests_properties(
      scale_mesh_smoke_${mode}
      PROPERTIES LABELS interop TIMEOUT 180 SKIP_RETURN_CODE 77 RESOURCE_LOCK scale_mesh
                 ENVIRONMENT "BUILD=${PROJECT_BINARY_DIR};TIMEOUT=120;PREFIX=scs")
  endforeach()
endif()
