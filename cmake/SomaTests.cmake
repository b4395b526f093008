# All unit tests in one GTest executable; plus the CLI smoke test and the install test.
find_package(GTest REQUIRED)
include(GoogleTest)

file(GLOB_RECURSE SOMA_TEST_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/*.cpp)
# tests/install is a separate consumer project, built against the installed soma.
list(FILTER SOMA_TEST_SOURCES EXCLUDE REGEX "/tests/install/")
# tests/fuzz holds libFuzzer harnesses, each with its own entry point (cmake/SomaFuzz.cmake).
list(FILTER SOMA_TEST_SOURCES EXCLUDE REGEX "/tests/fuzz/")

if(SOMA_TEST_SOURCES)
    add_executable(soma_tests ${SOMA_TEST_SOURCES})
    soma_warnings(soma_tests)
    # White-box tests may include private headers (src/) and shared test helpers (tests/).
    target_include_directories(soma_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests
                                                  ${PROJECT_SOURCE_DIR}/src)
    target_compile_definitions(soma_tests PRIVATE
        SOMA_FIXTURE_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
        SOMA_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    target_link_libraries(soma_tests PRIVATE soma::soma soma_gallery GTest::gtest GTest::gtest_main
                                             nlohmann_json::nlohmann_json PkgConfig::OPENBLAS)
    # gtest.h is the heaviest header in every test file; precompile it once.
    target_precompile_headers(soma_tests PRIVATE <gtest/gtest.h>)
    # PRE_TEST: list the tests when ctest runs, so building never waits on discovery.
    # ctest -j2 already runs two test processes on the two cores; threads inside each would
    # oversubscribe them, and every small parallel region then waits for a descheduled thread
    # (small recurrent models ran up to 80x slower). Tests run single-threaded;
    # tests/core/test_threads.cpp switches threads on to check the parallel paths.
    gtest_discover_tests(soma_tests DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                         PROPERTIES ENVIRONMENT "SOMA_NUM_THREADS=1;OMP_WAIT_POLICY=PASSIVE")
else()
    message(STATUS "soma: no tests/*.cpp yet; soma_tests not built")
endif()

# The layer rule on #include lines (tests/layers/check_layers.py; Python's standard library only),
# and the checker's own test on a made-up tree.
find_program(SOMA_PYTHON3 NAMES python3)
if(SOMA_PYTHON3)
    add_test(NAME layers.includes
             COMMAND ${SOMA_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/layers/check_layers.py
                     ${PROJECT_SOURCE_DIR})
    add_test(NAME layers.self_test
             COMMAND ${SOMA_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/layers/check_layers.py --self-test)
else()
    message(STATUS "soma: no python3; the layer-rule test is not registered")
endif()

add_test(NAME cli.version_and_help
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli> -DVERSION=${PROJECT_VERSION}
                 -P ${PROJECT_SOURCE_DIR}/cmake/TestCli.cmake)

add_test(NAME cli.inspect
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DFIXTURES=${PROJECT_SOURCE_DIR}/tests/fixtures
                 -DWORK=${PROJECT_BINARY_DIR}/cli_inspect_work
                 -P ${PROJECT_SOURCE_DIR}/tests/io/inspect_cli.cmake)

if(TARGET example_01_binary_xor)
    set(_example -DEXAMPLE=$<TARGET_FILE:example_01_binary_xor>)
endif()
add_test(NAME cli.gallery
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli> ${_example}
                 -DWORK=${PROJECT_BINARY_DIR}/cli_gallery_work
                 -P ${PROJECT_SOURCE_DIR}/tests/gallery/gallery_cli.cmake)

add_test(NAME cli.train_and_eval
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DWORK=${PROJECT_BINARY_DIR}/cli_train_work
                 -P ${PROJECT_SOURCE_DIR}/tests/train/train_cli.cmake)
set_tests_properties(cli.train_and_eval PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")

if(SOMA_PYTHON3)
    add_test(NAME cli.eval_generative
             COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli> -DPYTHON=${SOMA_PYTHON3}
                     -DWRITE=${PROJECT_SOURCE_DIR}/tests/train/write_samples.py
                     -DWORK=${PROJECT_BINARY_DIR}/cli_eval_generative_work
                     -P ${PROJECT_SOURCE_DIR}/tests/train/eval_generative_cli.cmake)
    set_tests_properties(cli.eval_generative PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")
endif()

# Installs this build into a temporary prefix and builds tests/install against it twice:
# with find_package(soma) and with pkg-config.
add_test(NAME install.consumer
         COMMAND ${PROJECT_SOURCE_DIR}/tests/install/run.sh ${PROJECT_BINARY_DIR}
                 ${CMAKE_CXX_COMPILER})
set_tests_properties(install.consumer PROPERTIES TIMEOUT 300)

# Crash safety: SIGKILL at random moments, SIGTERM and SIGINT, resumed until done: the curve of
# an uninterrupted run, a loadable checkpoint after every kill, no temporaries left. Labelled
# slow (about a minute): the sanitizer stage of CI skips it (make test SAN=1 runs ctest -LE slow).
add_test(NAME cli.kill_and_resume
         COMMAND ${PROJECT_SOURCE_DIR}/tests/train/kill_resume.sh $<TARGET_FILE:soma_cli>
                 ${PROJECT_BINARY_DIR}/kill_resume_work)
set_tests_properties(cli.kill_and_resume PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:" LABELS slow
                                                    TIMEOUT 600)

# The error contract end to end: malformed safetensors files, checkpoints, IDX files, CSV tables
# and arguments, seeded; each must end in exit 0, 1 or 2 with a message, never a signal or a
# hang (tests/reliability/malformed_inputs.py; the README's table comes from --cases 200).
if(SOMA_PYTHON3)
    add_test(NAME cli.malformed_inputs
             COMMAND ${SOMA_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/reliability/malformed_inputs.py
                     $<TARGET_FILE:soma_cli> ${PROJECT_BINARY_DIR}/malformed_inputs_work
                     --cases 10)
    set_tests_properties(cli.malformed_inputs PROPERTIES LABELS slow TIMEOUT 600)
endif()

# `soma train csv` / `soma predict`: a mixed table from tests/fixtures/csv (always), and
# scikit-learn's iris and diabetes (skipped without them).
add_test(NAME cli.train_csv
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DFIXTURES=${PROJECT_SOURCE_DIR}/tests/fixtures
                 -DWORK=${PROJECT_BINARY_DIR}/cli_train_csv_work
                 -P ${PROJECT_SOURCE_DIR}/tests/models/train_csv_cli.cmake)
add_test(NAME cli.train_csv_sklearn
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DWORK=${PROJECT_BINARY_DIR}/cli_train_csv_sklearn_work
                 -P ${PROJECT_SOURCE_DIR}/tests/models/train_csv_sklearn_cli.cmake)
set_tests_properties(cli.train_csv_sklearn PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")

# `soma train gan/vae` and `soma sample`: a ring GAN always; a VAE when Fashion-MNIST is there.
add_test(NAME cli.generative
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DWORK=${PROJECT_BINARY_DIR}/cli_generative_work
                 -P ${PROJECT_SOURCE_DIR}/tests/train/generative_cli.cmake)

# `soma check`: the soundness checks of a CSV set-up (always) and of Fashion-MNIST set-ups, a
# sound one and one with a learning rate far too large (skipped without the data); and a
# training run with --detect-anomaly. Labelled slow: it trains (the sanitizer stage runs the
# checks' unit tests instead).
add_test(NAME cli.check
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DFIXTURES=${PROJECT_SOURCE_DIR}/tests/fixtures
                 -DWORK=${PROJECT_BINARY_DIR}/cli_check_work
                 -P ${PROJECT_SOURCE_DIR}/tests/train/check_cli.cmake)
set_tests_properties(cli.check PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:" LABELS slow)

# `soma attack`: the robustness report of a small mlp, its files, JSON and refusals.
add_test(NAME cli.attack
         COMMAND ${CMAKE_COMMAND} -DSOMA=$<TARGET_FILE:soma_cli>
                 -DWORK=${PROJECT_BINARY_DIR}/cli_attack_work
                 -P ${PROJECT_SOURCE_DIR}/tests/attack/attack_cli.cmake)
set_tests_properties(cli.attack PROPERTIES SKIP_REGULAR_EXPRESSION "SKIP:")
