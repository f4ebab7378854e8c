# Builds the libFuzzer targets with clang in a sub-build (fuzz-build/) and
# registers a short smoke run of each with ctest. The list of fuzzers is in
# fuzz/fuzzers.cmake so that both builds agree on it.
include(${CMAKE_SOURCE_DIR}/fuzz/fuzzers.cmake)
find_program(SKYRUN_CLANGXX clang++)
if(SKYRUN_BUILD_FUZZERS AND SKYRUN_CLANGXX)
  include(ExternalProject)
  find_program(SKYRUN_CLANG clang)
  ExternalProject_Add(skyrun_fuzzers
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz-build
    CMAKE_ARGS -DSKYRUN_FUZZ_ONLY=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
               -DCMAKE_C_COMPILER=${SKYRUN_CLANG} -DCMAKE_CXX_COMPILER=${SKYRUN_CLANGXX}
    BUILD_ALWAYS ON
    INSTALL_COMMAND ""
    STEP_TARGETS build)
  foreach(fuzzer IN LISTS SKYRUN_FUZZERS)
    add_test(NAME fuzz_smoke.${fuzzer}
      COMMAND ${CMAKE_SOURCE_DIR}/fuzz/smoke.sh ${CMAKE_BINARY_DIR}/fuzz-build/fuzz/${fuzzer}
              ${CMAKE_SOURCE_DIR}/fuzz/corpus/${fuzzer})
    set_tests_properties(fuzz_smoke.${fuzzer} PROPERTIES TIMEOUT 120 LABELS fuzz)
  endforeach()
else()
  message(STATUS "clang++ not found or fuzzers disabled: fuzz smoke tests are not registered")
endif()
