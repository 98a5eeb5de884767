# Peer -> kernel benchmark helpers (no podnet library needed): the raw batched-netlink floor and
# the kernel route counter bench/peer_to_kernel.sh polls. Include from bench/CMakeLists.txt with
#   include(${CMAKE_CURRENT_SOURCE_DIR}/peer_to_kernel.cmake OPTIONAL)
add_executable(netlink_floor ${CMAKE_CURRENT_LIST_DIR}/netlink_floor.cpp)
podnet_warnings(netlink_floor)
add_executable(kernel_route_wait ${CMAKE_CURRENT_LIST_DIR}/kernel_route_wait.cpp)
podnet_warnings(kernel_route_wait)
