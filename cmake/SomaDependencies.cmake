# Third-party dependencies, all from Debian packages (scripts/setup.sh installs them).
include(GNUInstallDirs)

find_package(PkgConfig REQUIRED)
# Debian's OpenBLAS ships no CMake config; its pkg-config module gives the pthread variant
# with the include dir that holds cblas.h.
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET GLOBAL openblas)
find_package(OpenMP REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PNG REQUIRED)
# Header-only; parses safetensors headers inside libsoma (src/io), never in a public header.
find_package(nlohmann_json 3.9 REQUIRED)

# CLI11 is header-only; Debian ships a CMake config, other installs may have only the header.
add_library(soma_cli11 INTERFACE)
find_package(CLI11 CONFIG QUIET)
if(TARGET CLI11::CLI11)
    target_link_libraries(soma_cli11 INTERFACE CLI11::CLI11)
else()
    find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
    target_include_directories(soma_cli11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()
