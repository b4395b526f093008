# Build options and the compiler flags they imply. Flags set here apply to every target in
# the project (library, gallery, tests, bench), which the sanitizer build requires.
option(SOMA_NATIVE "Optimise for this machine's CPU (-march=native); OFF gives portable binaries" ON)
option(SOMA_SANITIZE "Build everything with AddressSanitizer and UBSan" OFF)
# libFuzzer harnesses for the file readers (tests/fuzz); clang only, built by `make fuzz`.
option(SOMA_FUZZ "Build the libFuzzer harnesses (clang; ASan, UBSan, coverage)" OFF)
option(BUILD_SHARED_LIBS "Build libsoma as a shared library" OFF)
# When soma is pulled into another project with add_subdirectory, build only the library.
option(SOMA_BUILD_TESTS "Build the unit tests" ${PROJECT_IS_TOP_LEVEL})
option(SOMA_BUILD_EXAMPLES "Build one program per gallery entry (build/examples/NN_name)"
       ${PROJECT_IS_TOP_LEVEL})
option(SOMA_BUILD_BENCH "Build the benchmarks" ${PROJECT_IS_TOP_LEVEL})

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)  # for clangd and clang-tidy

get_property(_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT _multi_config AND NOT CMAKE_BUILD_TYPE)
    set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)  # -O3 -DNDEBUG
endif()

# soma reads neither errno nor the floating-point exception flags, so libm calls (sqrt) may
# inline and vectorise, and clamps and selects in element loops may become blends: with
# -ftrapping-math (GCC's default) they stay branches and the loops stay scalar.
add_compile_options(-fno-math-errno -fno-trapping-math)

if(SOMA_NATIVE)
    add_compile_options(-march=native)
    # GCC 12 miscompiles constant vectors with AVX-512 (on this project's AMD EPYC machines,
    # `std::vector<double>{100, 100, 0, 0}` came out as four 100s at -O2 -march=native), so
    # AVX-512 code generation stays off there. BLAS picks its own kernels at run time anyway.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        add_compile_options(-mno-avx512f)
    endif()
endif()

set(SOMA_SANITIZE_FLAGS -fsanitize=address,undefined)
if(SOMA_SANITIZE)
    # -g1: line tables for readable sanitizer reports at little compile-time cost.
    # -O1 (after, so it overrides Release's -O3): instrumented code compiles ~40% faster at
    # -O1 than at -O3, which is most of what the sanitizer run costs in CI.
    add_compile_options(${SOMA_SANITIZE_FLAGS} -fno-omit-frame-pointer
                        -fno-sanitize-recover=all -g1 -O1)
    add_link_options(${SOMA_SANITIZE_FLAGS})
endif()
if(SOMA_FUZZ)
    # Coverage instrumentation for libFuzzer everywhere; the fuzzer's main() is linked only
    # into the harnesses (cmake/SomaFuzz.cmake).
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=all -g1 -O1)
    add_link_options(-fsanitize=address,undefined)
endif()

find_program(SOMA_CCACHE ccache)
if(SOMA_CCACHE)
    set(CMAKE_CXX_COMPILER_LAUNCHER ${SOMA_CCACHE})
endif()

# Warnings only on our own targets, never forced onto consumers.
function(soma_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
endfunction()

# One executable per DIR/*.cpp, named PREFIX<stem>, written to OUTDIR. Target names get a
# KIND_ prefix so that a file stem can never clash with another target.
function(soma_add_programs kind prefix outdir dir)
    file(GLOB _files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
    foreach(_file IN LISTS _files)
        get_filename_component(_stem ${_file} NAME_WE)
        set(_target ${kind}_${_stem})
        add_executable(${_target} ${_file})
        soma_warnings(${_target})
        target_link_libraries(${_target} PRIVATE soma::soma)
        if(kind STREQUAL "bench")
            target_include_directories(${_target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
            target_link_libraries(${_target} PRIVATE PkgConfig::OPENBLAS)
        endif()
        set_target_properties(${_target} PROPERTIES OUTPUT_NAME ${prefix}${_stem}
                                                    RUNTIME_OUTPUT_DIRECTORY ${outdir})
    endforeach()
endfunction()
