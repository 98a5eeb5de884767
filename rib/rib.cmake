# rib: Adj-RIB-In, Loc-RIB (decision process), Adj-RIB-Out (update groups). Included from
# rib/CMakeLists.txt so the type sources there and these stay in separate hands.
