# rib: Adj-RIB-In, Loc-RIB (decision process), Adj-RIB-Out (update groups). Included from
# rib/CMakeLists.txt so the type sources there and these stay in separate hands.
target_sources(podnet_rib PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/attr_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/decision.cpp
  ${CMAKE_CURRENT_LIST_DIR}/loc_rib.cpp
  ${CMAKE_CURRENT_LIST_DIR}/adj_rib_out.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rib.cpp)

podnet_test(rib_decision_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/decision_test.cpp
  LIBS podnet_rib)

podnet_test(rib_attr_store_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/attr_store_test.cpp
  LIBS podnet_rib)

podnet_test(rib_loc_rib_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/loc_rib_test.cpp
  LIBS podnet_rib)

podnet_test(rib_adj_rib_out_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/adj_rib_out_test.cpp
  LIBS podnet_rib)

podnet_test(rib_regroup_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/regroup_test.cpp
  LIBS podnet_rib)

podnet_test(rib_add_path_out_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/add_path_out_test.cpp
  LIBS podnet_rib)

podnet_test(rib_rr_client_change_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/rr_client_change_test.cpp
  LIBS podnet_rib)

podnet_test(rib_prefix_table_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/prefix_table_test.cpp
  LIBS podnet_rib)

podnet_test(rib_model_test unit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tests/rib_model_test.cpp
  LIBS podnet_rib)
