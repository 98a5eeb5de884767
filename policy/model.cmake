# podnet_policy_model: endpoints, the normalised policy model and the evaluator
# (policy/{endpoints,model,evaluate}.hpp). A fragment of its own so that cli/ (podnetctl's policy
# verbs) and daemon/ can include it when policy/ is not among PODNET_MODULES.
include_guard(GLOBAL)
include(${CMAKE_CURRENT_LIST_DIR}/selector.cmake)
find_package(OpenSSL REQUIRED)
add_library(podnet_policy_model
  ${CMAKE_CURRENT_LIST_DIR}/ip.cpp
  ${CMAKE_CURRENT_LIST_DIR}/selector_text.cpp
  ${CMAKE_CURRENT_LIST_DIR}/endpoints.cpp
  ${CMAKE_CURRENT_LIST_DIR}/k8s_convert.cpp
  ${CMAKE_CURRENT_LIST_DIR}/model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/evaluate.cpp)
target_include_directories(podnet_policy_model PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(podnet_policy_model PUBLIC podnet_selector podnet_conf fmt::fmt
  PRIVATE OpenSSL::Crypto)
podnet_warnings(podnet_policy_model)
