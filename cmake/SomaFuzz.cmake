# libFuzzer harnesses, one executable per tests/fuzz/fuzz_*.cpp, in <build>/fuzz/. Configure
# with clang and -DSOMA_FUZZ=ON (make fuzz does it, in build-fuzz/, and runs each one).
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SOMA_FUZZ needs clang's libFuzzer: configure with "
                        "-DCMAKE_CXX_COMPILER=clang++ (or run make fuzz)")
endif()
file(GLOB SOMA_FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_*.cpp)
foreach(source ${SOMA_FUZZ_SOURCES})
    get_filename_component(name ${source} NAME_WE)
    add_executable(${name} ${source})
    target_link_libraries(${name} PRIVATE soma::soma)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
endforeach()
# Not a harness: writes the checkpoint harness's seed corpus (see the file).
add_executable(seed_checkpoint ${PROJECT_SOURCE_DIR}/tests/fuzz/seed_checkpoint.cpp)
target_link_libraries(seed_checkpoint PRIVATE soma::soma)
set_target_properties(seed_checkpoint PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz)
