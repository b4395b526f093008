# `cmake --install`: headers, libsoma, the soma command, a CMake package (find_package(soma)
# gives soma::soma) and a pkg-config file. Both stay valid when installed with --prefix.
include(CMakePackageConfigHelpers)

install(TARGETS soma EXPORT somaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS soma_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/soma DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/soma/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/soma)

set(SOMA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/soma)
install(EXPORT somaTargets NAMESPACE soma:: DESTINATION ${SOMA_CMAKE_DIR})
get_target_property(_type soma TYPE)
if(_type STREQUAL "STATIC_LIBRARY")
    set(SOMA_STATIC ON)
else()
    set(SOMA_STATIC OFF)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/somaConfig.cmake.in
    ${PROJECT_BINARY_DIR}/somaConfig.cmake INSTALL_DESTINATION ${SOMA_CMAKE_DIR})
# 0.x releases may break the API between minor versions.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/somaConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/somaConfig.cmake ${PROJECT_BINARY_DIR}/somaConfigVersion.cmake
        DESTINATION ${SOMA_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own location, so --prefix works.
file(RELATIVE_PATH SOMA_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" SOMA_PC_TO_PREFIX "${SOMA_PC_TO_PREFIX}")
if(SOMA_STATIC)
    # `pkg-config --libs soma` must then list everything libsoma.a needs.
    set(SOMA_PC_REQUIRES "openblas zlib libpng")
    set(SOMA_PC_REQUIRES_PRIVATE "")
else()
    set(SOMA_PC_REQUIRES "")
    set(SOMA_PC_REQUIRES_PRIVATE "openblas zlib libpng")
endif()
set(SOMA_PC_LIBS_EXTRA ${OpenMP_CXX_FLAGS} ${CMAKE_THREAD_LIBS_INIT})
if(SOMA_SANITIZE)
    list(APPEND SOMA_PC_LIBS_EXTRA ${SOMA_SANITIZE_FLAGS})
endif()
list(JOIN SOMA_PC_LIBS_EXTRA " " SOMA_PC_LIBS_EXTRA)
configure_file(${PROJECT_SOURCE_DIR}/cmake/soma.pc.in ${PROJECT_BINARY_DIR}/soma.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/soma.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
