# Helpers for the CMake-script tests of the soma command (tests/*/*_cli.cmake).

# Fails unless every word after `what` occurs in `text`; `what` names the text in the message.
function(expect_in text what)
    foreach(word IN LISTS ARGN)
        string(FIND "${text}" "${word}" _at)
        if(_at EQUAL -1)
            message(FATAL_ERROR "${what} lacks '${word}':\n${text}")
        endif()
    endforeach()
endfunction()
