# Helpers shared by the module CMakeLists files.

# skyrun_module(NAME SOURCES ... DEPS ...) -> static library skyrun_NAME.
function(skyrun_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(skyrun_${name} STATIC ${M_SOURCES})
  target_include_directories(skyrun_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(skyrun_${name} PUBLIC ${M_DEPS})
endfunction()

# skyrun_test(NAME SOURCES ... DEPS ... [LABELS ...]) -> gtest binary registered with ctest.
# Unit tests live beside the code; the binary is discovered test-by-test.
function(skyrun_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(SKYRUN_FUZZ_ONLY)
    return()
  endif()
  if(SKYRUN_DEV_TOLERANT)
    # Developer aid while files are being written: skip a test whose sources are not all there yet.
    foreach(src IN LISTS T_SOURCES)
      if(NOT IS_ABSOLUTE ${src})
        set(src ${CMAKE_CURRENT_SOURCE_DIR}/${src})
      endif()
      if(NOT EXISTS ${src})
        message(WARNING "skipping test ${name}: ${src} does not exist")
        return()
      endif()
    endforeach()
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # Test discovery runs the binary without the ENVIRONMENT below, and ccache's
  # base_dir makes __FILE__ relative: tests find their data through this.
  target_compile_definitions(${name} PRIVATE SKYRUN_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
    ENVIRONMENT "SKYRUN_SOURCE_DIR=${CMAKE_SOURCE_DIR};SKYRUN_BINARY=${CMAKE_BINARY_DIR}/apps/skyrun/skyrun")
endfunction()

# skyrun_fuzzer(NAME SOURCE file DEPS ...) -> libFuzzer target (fuzz-only clang build),
# and in the normal build a ctest smoke run of the clang-built binary.
function(skyrun_fuzzer name)
  cmake_parse_arguments(F "" "SOURCE" "DEPS" ${ARGN})
  if(SKYRUN_FUZZ_ONLY)
    add_executable(${name} ${F_SOURCE})
    target_link_libraries(${name} PRIVATE ${F_DEPS})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  endif()
endfunction()

include(GoogleTest)
