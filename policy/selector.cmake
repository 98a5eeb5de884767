# podnet_selector: Calico's selector language (policy/selector.hpp). A fragment of its own so
# that bgp/ and cli/ can include it when policy/ is not among PODNET_MODULES.
include_guard(GLOBAL)
add_library(podnet_selector
  ${CMAKE_CURRENT_LIST_DIR}/selector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selector_tokenizer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selector_parser.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selector_eval.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selector_printer.cpp)
target_include_directories(podnet_selector PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(podnet_selector PUBLIC fmt::fmt)
podnet_warnings(podnet_selector)
